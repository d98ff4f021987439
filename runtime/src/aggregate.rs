//! Aggregates: the consistency boundary on the write side.

use std::fmt::Display;
use std::str::FromStr;

use crate::event::Event;
use crate::rejection::DomainRejection;
use crate::unique::UniqueValues;

/// The state of one aggregate, rebuilt by applying its events in order.
///
/// # `#[derive(Aggregate)]`
///
/// On the state struct; routes each kind of its event type to an [`Apply`] impl, and fails to
/// compile, naming the kind, while one is missing. Keys of `#[aggregate(...)]`:
///
/// | key | value | default |
/// |---|---|---|
/// | `id` | the id type, `OrderId` | required |
/// | `event` | the event type, `OrderEvent` | required |
/// | `name` | the stable [`TYPE`](Aggregate::TYPE) stored with each event | the struct's name |
/// | `snapshot_every` | [`SNAPSHOT_EVERY`](Aggregate::SNAPSHOT_EVERY), 1 or more; the struct must be `Serialize + Deserialize` | no snapshots |
/// | `persistence` | `"event_sourced"` or `"state_stored"`: [`PERSISTENCE`](Aggregate::PERSISTENCE); state-stored needs `Serialize + Deserialize` | `"event_sourced"` |
/// | `command` | its command enum (a `#[derive(Command)]` enum): [`AggregateCommands`](crate::AggregateCommands) | none |
/// | `services` | [`Services`](Aggregate::Services): what its [`HandleWith`](crate::HandleWith) handlers are given | `()` |
/// | `rejection` | [`Rejection`](Aggregate::Rejection): the domain's reasons to refuse, a `#[derive(DomainRejection)]` enum | [`Rejection`](crate::Rejection) |
///
/// and on a field, `#[aggregate(unique)]`: no two aggregates of the type hold the same value
/// there at once ([`unique_values`](Aggregate::unique_values)); `#[aggregate(unique(within =
/// library))]` narrows that to aggregates whose `library` field is the same. The field's type
/// implements [`UniqueKey`](crate::unique::UniqueKey): a `String`, or an `Option` of a
/// `String`, an integer or a `Uuid`.
///
/// The commands it handles name it from their side: `#[command(aggregate = Order)]`.
///
/// # Snapshots
///
/// Loading an aggregate applies every one of its events, so a long-lived aggregate gets slower
/// to load with each command. With `snapshot_every = n`, the [`Dispatcher`](crate::Dispatcher)
/// keeps the state as JSON (serde, through [`snapshot`](Aggregate::snapshot)) each time a
/// command's events reach a multiple of `n`, and later loads start from the newest snapshot and
/// apply only the events after it. Snapshots are a cache, never the truth:
///
/// - one that no longer deserializes into the state (a field was added without
///   `#[serde(default)]`, a type changed) is ignored, with a warning, and the state rebuilt from
///   all events; the next snapshot taken replaces it;
/// - an event store that keeps no snapshots simply loads every event;
/// - a state that changes meaning without changing shape (an [`Apply`] impl now computes
///   something else) keeps its stale snapshots: delete them from `eventwright_snapshots`.
///
/// ```
/// use eventwright::{Aggregate, Apply, Event};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// pub struct Opened { pub owner: String }
/// #[derive(Serialize, Deserialize)]
/// pub struct Deposited { pub amount: i64 }
///
/// #[derive(Event)]
/// pub enum AccountEvent {
///     Opened(Opened),
///     Deposited(Deposited),
/// }
///
/// #[derive(Default, Serialize, Deserialize, Aggregate)]
/// #[aggregate(id = String, event = AccountEvent, name = "account", snapshot_every = 100)]
/// pub struct Account { owner: String, balance: i64 }
///
/// impl Apply<Opened> for Account {
///     fn apply(&mut self, event: &Opened) { self.owner.clone_from(&event.owner); }
/// }
///
/// impl Apply<Deposited> for Account {
///     fn apply(&mut self, event: &Deposited) { self.balance += event.amount; }
/// }
///
/// let mut account = Account::default();
/// account.apply_event(&Deposited { amount: 5 }.into());
/// assert_eq!((Account::TYPE, Account::SNAPSHOT_EVERY, account.balance), ("account", Some(100), 5));
/// ```
pub trait Aggregate: Default + Send + Sync + 'static {
    /// The aggregate's stable type name, stored with each of its events.
    const TYPE: &'static str;
    /// The identifier type; its `Display` form is what the store keys by.
    type Id: Display + FromStr + Clone + Send + Sync + 'static;
    /// The events this aggregate records.
    type Event: Event;

    /// What its [`HandleWith`](crate::HandleWith) handlers are given through their
    /// [`Context`](crate::Context): the application's clients, prices, limits. `()` when none
    /// is needed; else the dispatcher must be given one with
    /// [`Dispatcher::with_services`](crate::Dispatcher::with_services).
    type Services: Send + Sync + 'static;

    /// Why its handlers refuse a command: the domain's own enum, or [`Rejection`](crate::Rejection).
    type Rejection: DomainRejection;

    /// How often the [`Dispatcher`](crate::Dispatcher) keeps a snapshot of the state: whenever a
    /// command's events reach a multiple of `n`, or never (`None`).
    ///
    /// Set it with `#[aggregate(snapshot_every = 100)]`, which also implements
    /// [`snapshot`](Aggregate::snapshot) and [`restore`](Aggregate::restore) with serde. A hand
    /// written impl that sets it implements those two as well.
    const SNAPSHOT_EVERY: Option<u64> = None;

    /// Whether the aggregate is rebuilt from its events or kept as a state row: see
    /// [`Persistence`]. Set it with `#[aggregate(persistence = "state_stored")]`, which also
    /// implements [`snapshot`](Aggregate::snapshot) and [`restore`](Aggregate::restore).
    const PERSISTENCE: Persistence = Persistence::EventSourced;

    /// Moves the state forward by one event. Must not fail: events are facts.
    ///
    /// Named apart from [`Apply::apply`] so that both can be called on a concrete type.
    fn apply_event(&mut self, event: &Self::Event);

    /// The state as JSON, to be kept as a snapshot or, for a state-stored aggregate, as its state
    /// row. Called only when [`SNAPSHOT_EVERY`](Aggregate::SNAPSHOT_EVERY) is set or the
    /// aggregate is [`StateStored`](Persistence::StateStored); the default fails, saying so.
    fn snapshot(&self) -> Result<serde_json::Value, serde_json::Error> {
        Err(serde::ser::Error::custom(format_args!(
            "{} is snapshotted or state-stored but does not implement Aggregate::snapshot",
            Self::TYPE
        )))
    }

    /// The values this state holds that no other aggregate may hold at the same time, each in
    /// its scope: see [`unique`](crate::unique). When a command's events change them, the
    /// dispatcher releases the old values and claims the new ones in the same transaction, and
    /// refuses the command with [`DispatchError::Taken`](crate::DispatchError::Taken) when
    /// another aggregate holds one. By default a state holds none.
    ///
    /// Set it with `#[aggregate(unique)]` on a field of the state.
    fn unique_values(&self, values: &mut UniqueValues) {
        let _ = values;
    }

    /// The state back from what [`snapshot`](Aggregate::snapshot) wrote, perhaps by older code.
    /// For a snapshot an error is not fatal: the snapshot is ignored and the state rebuilt from
    /// every event, so a state type may change shape without migrating its snapshots. A
    /// state-stored aggregate has nothing else to rebuild from, so there the error fails the
    /// command: change its state type compatibly (`#[serde(default)]` on new fields).
    fn restore(snapshot: serde_json::Value) -> Result<Self, serde_json::Error> {
        let _ = snapshot;
        Err(serde::de::Error::custom(format_args!(
            "{} is snapshotted or state-stored but does not implement Aggregate::restore",
            Self::TYPE
        )))
    }
}

/// How the write side keeps an aggregate.
///
/// Either way every command's events go to the event store's log, which is the outbox that
/// projections and relays read; what differs is how the aggregate is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Loaded by applying its events (from its newest snapshot, if it keeps any). The events are
    /// the truth; the state can be rebuilt, and changed, at any time.
    EventSourced,
    /// Loaded from one row holding its current state and version, written in the same
    /// transaction as its events; the version is the sequence of its last event and is what
    /// optimistic concurrency checks. Loads cost the same however long its history, and the
    /// state row can be read by other tools; but the state is the truth, so changing what an
    /// event does to it changes nothing already stored.
    StateStored,
}

/// How one kind of event changes an aggregate's state.
///
/// `#[derive(Aggregate)]` requires one impl per kind of its event type, so a kind added to the
/// event enum later is a compile error until the aggregate decides what it does.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not apply `{E}` events",
    label = "`{E}` is a kind of this event type, and `{Self}` has no `impl Apply<{E}>`",
    note = "add `impl eventwright::Apply<{E}> for {Self} {{ fn apply(&mut self, event: &{E}) {{ .. }} }}`: events are facts, so every kind must change the state somehow, even if not at all"
)]
pub trait Apply<E> {
    fn apply(&mut self, event: &E);
}
