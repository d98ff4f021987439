//! Aggregates: the consistency boundary on the write side.

use std::fmt::Display;
use std::str::FromStr;

use crate::command::Commands;
use crate::event::Event;

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
/// | `snapshot_every` | [`SNAPSHOT_EVERY`](Aggregate::SNAPSHOT_EVERY), 1 or more | no snapshots |
/// | `command` | its command enum (a `#[derive(Command)]` enum): [`AggregateCommands`] | none |
///
/// The commands it handles name it from their side: `#[command(aggregate = Order)]`.
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
/// #[derive(Default, Aggregate)]
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

    /// How often a snapshot of the state should be taken: every `n` events, or never (`None`).
    ///
    /// A policy only: the store adapter that keeps snapshots reads it. Set it with
    /// `#[aggregate(snapshot_every = 100)]`.
    const SNAPSHOT_EVERY: Option<u64> = None;

    /// Moves the state forward by one event. Must not fail: events are facts.
    ///
    /// Named apart from [`Apply::apply`] so that both can be called on a concrete type.
    fn apply_event(&mut self, event: &Self::Event);
}

/// How one kind of event changes an aggregate's state.
///
/// `#[derive(Aggregate)]` requires one impl per kind of its event type, so a kind added to the
/// event enum later is a compile error until the aggregate decides what it does.
#[diagnostic::on_unimplemented(
    message = "aggregate `{Self}` does not apply `{E}` events",
    label = "`{E}` is a kind of this event type, and `{Self}` has no `impl Apply<{E}>`",
    note = "add `impl eventwright::Apply<{E}> for {Self} {{ fn apply(&mut self, event: &{E}) {{ .. }} }}`: events are facts, so every kind must change the state somehow, even if not at all"
)]
pub trait Apply<E> {
    fn apply(&mut self, event: &E);
}

/// Names the enum of every command an aggregate takes, so that generic code (one HTTP endpoint,
/// one queue consumer) can accept any of them: `#[aggregate(command = AccountCommand)]`.
///
/// ```
/// use eventwright::{Aggregate, AggregateCommands, Apply, Command, Commands, Event, Handle, Rejection};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// pub struct Opened {}
/// #[derive(Event)]
/// pub enum AccountEvent { Opened(Opened) }
///
/// #[derive(Default, Aggregate)]
/// #[aggregate(id = String, event = AccountEvent, command = AccountCommand)]
/// pub struct Account {}
/// impl Apply<Opened> for Account { fn apply(&mut self, _: &Opened) {} }
///
/// #[derive(Command)]
/// #[command(aggregate = Account, creates)]
/// pub struct Open { #[command(id)] pub id: String }
/// impl Handle<Open> for Account {
///     fn handle(&self, _: &Open) -> Result<Vec<AccountEvent>, Rejection> { Ok(vec![Opened {}.into()]) }
/// }
///
/// #[derive(Command)]
/// pub enum AccountCommand { Open(Open) }
///
/// fn name_of<A: AggregateCommands>(command: &A::Commands) -> &'static str { command.name() }
/// assert_eq!(name_of::<Account>(&AccountCommand::Open(Open { id: "a".into() })), "open");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` names no command enum",
    note = "add `command = YourCommandEnum` to `#[aggregate(...)]`, where the enum derives `Command`"
)]
pub trait AggregateCommands: Aggregate {
    type Commands: Commands;
}
