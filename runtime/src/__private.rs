//! What derive-generated code needs and users do not. Not a stable API.

pub use ::core;
pub use ::garde;
pub use ::serde;
pub use ::serde_json;
pub use ::std;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::aggregate::Apply;
use crate::event::{DecodeError, EventEnvelope};
use crate::projection::{Change, Join, Joined, Project, Rows};
use crate::workflow::{ProcessManager, Steps};

/// Routes each kind of event in `Self` to `A`'s `Apply` impl for it.
///
/// `#[derive(Event)]` implements it with one `Apply<Kind>` bound per kind, so an aggregate that
/// forgets a kind fails to compile, naming the kind.
pub trait ApplyEach<A> {
    fn apply_each(&self, target: &mut A);
}

/// Routes each kind of event in `Self` to `P`'s `Project` impl for it (see [`ApplyEach`]).
pub trait ProjectEach<P> {
    fn rows_each(&self, envelope: &EventEnvelope) -> Rows;
    fn joins_each(&self, envelope: &EventEnvelope) -> Vec<Join>;
    fn project_each(&self, row: Option<P>, envelope: &EventEnvelope, joined: &Joined) -> Change<P>;
}

/// Routes each kind of event in `Self` to `W`'s `React` impl for it (see [`ApplyEach`]).
pub trait ReactEach<W> {
    fn react_each(&self, policy: &W, envelope: &EventEnvelope, steps: &mut Steps);
}

/// Routes each kind of event in `Self` to `M`'s `Handles` impl for it (see [`ApplyEach`]).
pub trait HandleEach<M: ProcessManager> {
    fn correlate_each(&self, envelope: &EventEnvelope) -> Option<String>;
    fn starts_each(&self) -> bool;
    fn handle_each(
        &self,
        manager: &M,
        state: &mut M::State,
        envelope: &EventEnvelope,
        steps: &mut Steps<M::Timer>,
    );
}

/// Keeps `Apply` and `Project` nameable from generated code without a user import.
pub fn apply<A: Apply<E>, E>(target: &mut A, event: &E) {
    target.apply(event);
}

pub fn project_rows<P: Project<E>, E>(event: &E, envelope: &EventEnvelope) -> Rows {
    <P as Project<E>>::rows(event, envelope)
}

pub fn project_joins<P: Project<E>, E>(event: &E, envelope: &EventEnvelope) -> Vec<Join> {
    <P as Project<E>>::joins(event, envelope)
}

pub fn project<P: Project<E>, E>(
    row: Option<P>,
    event: &E,
    envelope: &EventEnvelope,
    joined: &Joined,
) -> Change<P> {
    P::project_joined(row, event, envelope, joined)
}

/// What `#[aggregate(snapshot_every = ...)]` asks of the state to write snapshots. One trait per
/// direction, so a state missing one serde impl gets one error, at `snapshot_every`.
#[diagnostic::on_unimplemented(
    message = "aggregate `{Self}` keeps snapshots (`snapshot_every`), so it must be `Serialize`",
    label = "snapshots are written with `{Self}: serde::Serialize`",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}`, or remove `snapshot_every`"
)]
pub trait SnapshotOut: Serialize {}

impl<T: Serialize> SnapshotOut for T {}

/// What `#[aggregate(snapshot_every = ...)]` asks of the state to read snapshots back.
#[diagnostic::on_unimplemented(
    message = "aggregate `{Self}` keeps snapshots (`snapshot_every`), so it must be `Deserialize`",
    label = "snapshots are read back with `{Self}: serde::de::DeserializeOwned`",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}`, or remove `snapshot_every`"
)]
pub trait SnapshotIn: DeserializeOwned {}

impl<T: DeserializeOwned> SnapshotIn for T {}

pub fn snapshot<A: SnapshotOut>(state: &A) -> Result<Value, serde_json::Error> {
    serde_json::to_value(state)
}

pub fn restore<A: SnapshotIn>(snapshot: Value) -> Result<A, serde_json::Error> {
    serde_json::from_value(snapshot)
}

pub use crate::aggregate::Persistence;

/// What `#[aggregate(persistence = "state_stored")]` asks of the state to write its row.
#[diagnostic::on_unimplemented(
    message = "aggregate `{Self}` is state-stored, so it must be `Serialize`",
    label = "its state row is written with `{Self}: serde::Serialize`",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}`, or make it event-sourced"
)]
pub trait StateOut: Serialize {}

impl<T: Serialize> StateOut for T {}

/// What `#[aggregate(persistence = "state_stored")]` asks of the state to read its row back.
#[diagnostic::on_unimplemented(
    message = "aggregate `{Self}` is state-stored, so it must be `Deserialize`",
    label = "its state row is read back with `{Self}: serde::de::DeserializeOwned`",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}`, or make it event-sourced"
)]
pub trait StateIn: DeserializeOwned {}

impl<T: DeserializeOwned> StateIn for T {}

pub fn state_row<A: StateOut>(state: &A) -> Result<Value, serde_json::Error> {
    serde_json::to_value(state)
}

pub fn restore_state<A: StateIn>(row: Value) -> Result<A, serde_json::Error> {
    serde_json::from_value(row)
}

/// Marks `Self` as one of the kinds of event `E` holds: `Project<Kind>` asks it, so a projection
/// projects or ignores (`#[projection(ignore(Kind))]`) only kinds of its own event type, and so
/// do `React<Kind>` and `Handles<Kind>` for workflows.
/// `#[derive(Event)]` implements it for each kind of the derived type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a kind of event in `{E}`",
    label = "not held by any variant of `{E}`",
    note = "a projection or workflow of `{E}` events decides (`impl Project<Kind>`, `React<Kind>`, `Handles<Kind>`) or ignores (`ignore(..)`) only the kinds of `{E}`: the types its variants hold"
)]
pub trait KindOf<E> {}

/// The events of a projection of several event types (`#[projection(events(A, B))]`): every
/// type counts as one of their kinds. Trait bounds cannot say "a kind of `A` or of `B`", so such
/// a projection is checked for what it must decide (each kind of each type, projected or
/// ignored, by [`Includes`] and the event types' routing) but not for impls it need not have.
///
/// A kind missing from a projection of one event type fails to be a `KindOf` it by this impl
/// too, so rustc reports this trait: its message says what `KindOf`'s would.
#[diagnostic::on_unimplemented(
    message = "this type is not a kind of event in `{Self}`",
    label = "not held by any variant of `{Self}`",
    note = "a projection or workflow of `{Self}` events decides (`impl Project<Kind>`, `React<Kind>`, `Handles<Kind>`) or ignores (`ignore(..)`) only the kinds of `{Self}`: the types its variants hold"
)]
pub trait SeveralEventTypes {}

impl<K, E: SeveralEventTypes> KindOf<E> for K {}

/// `Self` receives every kind of event type `E`: every event type includes itself, and the
/// events of a projection of several event types include each.
#[diagnostic::on_unimplemented(
    message = "a projection or workflow of `{Self}` does not receive the events of `{E}`",
    label = "a kind of `{E}`, which it never receives",
    note = "a projection or workflow decides (`impl Project<Kind>`, `React<Kind>`, `Handles<Kind>`) or ignores (`ignore(..)`) only the kinds of the event types it receives: `event = ..`, or each of `events(..)`"
)]
pub trait Includes<E> {}

/// The names of several event types, one after the other: what a projection or workflow of
/// several receives. `N` is their count; anything else fails to compile, as does a name two of them
/// share (a stored event of that name would go to whichever comes first).
pub const fn concat_names<const N: usize>(parts: &[&[&'static str]]) -> [&'static str; N] {
    let mut names = [""; N];
    let mut at = 0;
    let mut part = 0;
    while part < parts.len() {
        let mut index = 0;
        while index < parts[part].len() {
            names[at] = parts[part][index];
            at += 1;
            index += 1;
        }
        part += 1;
    }
    assert!(at == N, "N is the count of all the names");
    let mut first = 0;
    while first < N {
        let mut second = first + 1;
        while second < N {
            assert!(
                !same_text(names[first], names[second]),
                "two of the event types a projection or workflow receives name an event alike: \
                 rename one with #[event(name = \"...\")]"
            );
            second += 1;
        }
        first += 1;
    }
    names
}

const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut at = 0;
    while at < a.len() {
        if a[at] != b[at] {
            return false;
        }
        at += 1;
    }
    true
}

/// Refuses a stored version outside `oldest..=current`: newer than the code, or older than its
/// oldest upcaster.
pub fn check_version(
    event_type: &str,
    event_version: u32,
    oldest: u32,
    current: u32,
) -> Result<(), DecodeError> {
    if event_version > current {
        return Err(DecodeError::new(
            event_type,
            event_version,
            format!("stored by newer code: v{current} is the latest version this code knows"),
        ));
    }
    if event_version < oldest {
        return Err(DecodeError::new(
            event_type,
            event_version,
            format!(
                "no upcaster from this version: the oldest version this code reads is v{oldest}"
            ),
        ));
    }
    Ok(())
}

/// Runs one step of an upcaster chain, from version `from` to `from + 1`.
pub fn upcast(
    event_type: &str,
    event_version: u32,
    from: u32,
    upcaster: fn(Value) -> Result<Value, ::std::string::String>,
    payload: Value,
) -> Result<Value, DecodeError> {
    upcaster(payload).map_err(|reason| {
        DecodeError::new(
            event_type,
            event_version,
            format!("upcasting from v{from} to v{} failed: {reason}", from + 1),
        )
    })
}

/// How `#[derive(Command)]` finds a command's handler: `(&&Probe::<A, C>::new()).handle_command(..)`
/// resolves to the aggregate's `HandleWith<C>` impl when it has one (method lookup tries
/// `&Probe` first), else to its `Handle<C>` impl.
#[derive(Debug)]
pub struct Probe<A, C>(core::marker::PhantomData<fn() -> (A, C)>);

impl<A, C> Probe<A, C> {
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(core::marker::PhantomData)
    }
}

pub trait ViaHandleWith<A: crate::Aggregate, C> {
    fn handle_command<'a>(
        &self,
        state: &'a A,
        command: &'a C,
        surroundings: crate::command::Surroundings<'a>,
    ) -> Result<crate::Handled<'a, A>, crate::MissingServices>;
}

impl<A, C> ViaHandleWith<A, C> for &Probe<A, C>
where
    A: crate::HandleWith<C>,
    C: crate::Command<Aggregate = A>,
{
    fn handle_command<'a>(
        &self,
        state: &'a A,
        command: &'a C,
        surroundings: crate::command::Surroundings<'a>,
    ) -> Result<crate::Handled<'a, A>, crate::MissingServices> {
        let context = surroundings.context::<A::Services>()?;
        Ok(crate::Handled::pending(crate::HandleWith::handle(
            state, command, context,
        )))
    }
}

/// The fallback, for every aggregate: the `Handle` bound sits on the method, so an aggregate
/// with neither impl gets `Handle`'s own message, which names both ways to handle.
pub trait ViaHandle<A: crate::Aggregate, C: crate::Command<Aggregate = A>> {
    fn handle_command<'a>(
        &self,
        state: &'a A,
        command: &'a C,
        surroundings: crate::command::Surroundings<'a>,
    ) -> Result<crate::Handled<'a, A>, crate::MissingServices>
    where
        A: crate::Handle<C>;
}

impl<A, C> ViaHandle<A, C> for Probe<A, C>
where
    A: crate::Aggregate,
    C: crate::Command<Aggregate = A>,
{
    fn handle_command<'a>(
        &self,
        state: &'a A,
        command: &'a C,
        _: crate::command::Surroundings<'a>,
    ) -> Result<crate::Handled<'a, A>, crate::MissingServices>
    where
        A: crate::Handle<C>,
    {
        Ok(crate::Handled::ready(crate::Handle::handle(state, command)))
    }
}

/// What `#[derive(DomainRejection)]` asks of the enum beyond its codes: a message per reason.
#[diagnostic::on_unimplemented(
    message = "the rejection `{Self}` has no message for people",
    label = "`{Self}` needs `Display` and `Debug`",
    note = "derive `Debug` and `thiserror::Error`, with `#[error(\"...\")]` on each variant, or implement `Display`"
)]
pub trait RejectionMessage: core::fmt::Display + core::fmt::Debug {}

impl<T: core::fmt::Display + core::fmt::Debug> RejectionMessage for T {}

pub fn rejection_has_message<T: RejectionMessage>() {}

/// What `#[derive(Event)]` asks of each kind to store it: one trait per direction, so a kind
/// missing a serde impl gets one error, at its type, saying what to add.
#[diagnostic::on_unimplemented(
    message = "the event `{Self}` is stored as JSON, so it must be `Serialize`",
    label = "`{Self}` is not `serde::Serialize`",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}`"
)]
pub trait EventOut: Serialize {}

impl<T: Serialize> EventOut for T {}

/// What `#[derive(Event)]` asks of each kind to read it back.
#[diagnostic::on_unimplemented(
    message = "the event `{Self}` is read back from JSON, so it must be `Deserialize`",
    label = "`{Self}` is not `serde::Deserialize`",
    note = "add `#[derive(serde::Serialize, serde::Deserialize)]` to `{Self}`"
)]
pub trait EventIn: DeserializeOwned {}

impl<T: DeserializeOwned> EventIn for T {}

pub fn encode_payload<T: EventOut>(payload: &T) -> Result<Value, serde_json::Error> {
    serde_json::to_value(payload)
}

pub fn decode_payload<T: EventIn>(payload: Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(payload)
}

/// Fails the build of a projection that indexes a list or value object to compare it whole.
pub const fn assert_comparable<T: crate::table::Column>() {
    if matches!(T::TYPE, crate::table::ColumnType::Json) {
        panic!("an index compares this field whole, and lists and value objects cannot be");
    }
}

/// Fails the build of a projection that indexes a field of, or each element of, a field that is
/// neither a value object nor a list.
pub const fn assert_inside<T: crate::table::Column>() {
    if !matches!(T::TYPE, crate::table::ColumnType::Json) {
        panic!("an index reaches inside this field, which is neither a list nor a value object");
    }
}

/// Fails the build of a projection that sums a field that is not a number every row has.
pub const fn assert_summable<T: crate::table::Column>() {
    if T::NULLABLE
        || !matches!(
            T::TYPE,
            crate::table::ColumnType::Int
                | crate::table::ColumnType::Float
                | crate::table::ColumnType::Decimal
        )
    {
        panic!("a summary sums this field, which is not a number every row has");
    }
}

/// Fails the build of a projection whose index orders by a field without an order: optional
/// (a row without it has no place), a list or value object, a bool or a uuid.
pub const fn assert_orderable<T: crate::table::Column>() {
    if T::NULLABLE {
        panic!("an index orders by this field, which may be missing: make it not optional");
    }
    if matches!(
        T::TYPE,
        crate::table::ColumnType::Json
            | crate::table::ColumnType::Bool
            | crate::table::ColumnType::Uuid
    ) {
        panic!("an index orders by this field, whose type has no useful order");
    }
}
