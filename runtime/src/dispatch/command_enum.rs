//! Enums of commands, one command struct per variant, dispatched as one: so one endpoint or
//! queue consumer can take any command of a service.

use std::future::Future;

use super::{Committed, DispatchError, Dispatcher};
use crate::aggregate::Aggregate;
use crate::event::Metadata;

/// An enum of commands, one command struct per variant, so one endpoint or queue consumer can take
/// any of them.
///
/// Implemented by `#[derive(Command)]` on an enum of newtype variants (each also gets a `From`
/// impl); each variant is dispatched exactly as [`Dispatcher::dispatch`] dispatches the struct it
/// holds. The variants may address different aggregates.
///
/// ```
/// # use eventwright::{Aggregate, Apply, Command, Event, Handle, Rejection};
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize, Event)]
/// # pub struct Noted {}
/// # #[derive(Default, Aggregate)]
/// # #[aggregate(id = String, event = Noted)]
/// # pub struct Pad {}
/// # impl Apply<Noted> for Pad { fn apply(&mut self, _: &Noted) {} }
/// # #[derive(Deserialize, Command)]
/// # #[command(aggregate = Pad, creates)]
/// # pub struct Open { pub id: String }
/// # #[derive(Deserialize, Command)]
/// # #[command(aggregate = Pad)]
/// # pub struct Note { pub id: String }
/// # impl Handle<Open> for Pad {
/// #     fn handle(&self, _: &Open) -> Result<Vec<Noted>, Rejection> { Ok(vec![]) }
/// # }
/// # impl Handle<Note> for Pad {
/// #     fn handle(&self, _: &Note) -> Result<Vec<Noted>, Rejection> { Ok(vec![Noted {}]) }
/// # }
/// use eventwright::{Commands, Dispatcher, Metadata};
///
/// #[derive(Deserialize, Command)]
/// #[serde(tag = "type", rename_all = "snake_case")]
/// pub enum PadCommand {
///     Open(Open),
///     Note(Note),
/// }
///
/// /// One handler for every command of the pad.
/// async fn receive(dispatcher: &Dispatcher, body: &str) -> Result<u64, Box<dyn std::error::Error>> {
///     let command: PadCommand = serde_json::from_str(body)?;
///     Ok(command.dispatch_with(dispatcher, Metadata::default()).await?.version)
/// }
///
/// assert_eq!(PadCommand::from(Note { id: "p".into() }).name(), "note");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a command enum",
    label = "`{Self}` does not implement `Commands`",
    note = "derive `Command` on an enum whose variants each hold one command, e.g. `enum OrderCommand {{ Place(PlaceOrder), Cancel(CancelOrder) }}`"
)]
pub trait Commands: Send + Sync + 'static {
    /// The [`Command::NAME`](crate::Command::NAME) of the command held.
    fn name(&self) -> &'static str;

    /// Validates, decides and commits the command held.
    fn dispatch_with(
        self,
        dispatcher: &Dispatcher,
        metadata: Metadata,
    ) -> impl Future<Output = Result<Committed, DispatchError>> + Send;
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
