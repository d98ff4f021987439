//! What a workflow decides in one step: commands to send, timers to set or drop, and whether
//! its process is over.

use std::any::Any;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use std::future::Future;
use std::pin::Pin;
use uuid::Uuid;

use crate::aggregate::Aggregate;
use crate::command::Command;
use crate::dispatch::{Committed, DispatchError, Dispatcher};
use crate::event::{EventEnvelope, Metadata};

/// What [`Issued::send`] returns.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<Committed, DispatchError>> + Send + 'a>>;

/// A workflow's decisions in one step, in the order it made them. A [`Policy`](super::Policy)
/// has no timers: its `Steps` carry none.
///
/// The step's commands are sent once it returns, in order, each at most once in effect
/// ([`Dispatcher::dispatch_once`]); its timers and state are kept after they are all answered.
pub struct Steps<T = std::convert::Infallible> {
    now: DateTime<Utc>,
    pub(crate) commands: Vec<Box<dyn Issued>>,
    pub(crate) schedule: Vec<(String, DateTime<Utc>, T)>,
    pub(crate) cancel: Vec<String>,
    pub(crate) finished: bool,
    /// Why the input cannot be handled, when it cannot.
    pub(crate) poisoned: Option<String>,
}

impl<T> Steps<T> {
    /// Decisions made at `now`, by the dispatcher's clock.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now,
            commands: Vec::new(),
            schedule: Vec::new(),
            cancel: Vec::new(),
            finished: false,
            poisoned: None,
        }
    }

    /// The time the step runs at: what [`schedule_in`](Self::schedule_in) counts from.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Sends `command` to its aggregate once the step is decided.
    pub fn send<C>(&mut self, command: C)
    where
        C: Command + Clone + fmt::Debug + PartialEq,
    {
        self.commands.push(Box::new(command));
    }

    /// Sets the timer `name` to fire at `at` with `timer`; a pending timer of that name moves.
    pub fn schedule_at(&mut self, name: impl Into<String>, at: DateTime<Utc>, timer: T) {
        let name = name.into();
        self.cancel.retain(|cancelled| *cancelled != name);
        self.schedule.retain(|(scheduled, ..)| *scheduled != name);
        self.schedule.push((name, at, timer));
    }

    /// Sets the timer `name` to fire `after` from now.
    pub fn schedule_in(&mut self, name: impl Into<String>, after: Duration, timer: T) {
        self.schedule_at(name, self.now + after, timer);
    }

    /// Drops the pending timer `name`, if there is one.
    pub fn cancel(&mut self, name: impl Into<String>) {
        let name = name.into();
        self.schedule.retain(|(scheduled, ..)| *scheduled != name);
        self.cancel.push(name);
    }

    /// Ends the process: its state and pending timers go, and its later events are ignored.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// The event cannot be handled, ever (it names an id that does not parse, say): the step
    /// keeps nothing and sends nothing, and the event is set aside (a dead letter) where the
    /// feed can, with `reason`.
    pub fn poison(&mut self, reason: impl Into<String>) {
        self.poisoned.get_or_insert_with(|| reason.into());
    }

    /// The id of `envelope`'s aggregate as a `T` (a `Uuid`, an `i64`); `None` after
    /// [`poison`](Self::poison)ing the step when it does not parse as one.
    pub fn aggregate_id<I>(&mut self, envelope: &EventEnvelope) -> Option<I>
    where
        I: FromStr,
        I::Err: fmt::Display,
    {
        match envelope.aggregate_id.parse() {
            Ok(id) => Some(id),
            Err(error) => {
                self.poison(format!(
                    "the id {:?} of {} is not one: {error}",
                    envelope.aggregate_id, envelope.aggregate_type
                ));
                None
            }
        }
    }

    /// Whether the process ends with this step.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The commands decided so far, in order.
    pub fn commands(&self) -> impl Iterator<Item = &dyn Issued> {
        self.commands.iter().map(|command| &**command)
    }

    /// The timers set so far: name, when, and what it carries.
    pub fn scheduled(&self) -> impl Iterator<Item = (&str, DateTime<Utc>, &T)> {
        self.schedule
            .iter()
            .map(|(name, at, timer)| (name.as_str(), *at, timer))
    }

    /// The timers dropped so far.
    pub fn cancelled(&self) -> impl Iterator<Item = &str> {
        self.cancel.iter().map(String::as_str)
    }
}

impl<T: fmt::Debug> fmt::Debug for Steps<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steps")
            .field("now", &self.now)
            .field("commands", &self.commands)
            .field("schedule", &self.schedule)
            .field("cancel", &self.cancel)
            .field("finished", &self.finished)
            .field("poisoned", &self.poisoned)
            .finish()
    }
}

/// A command a workflow decided to send, of any aggregate.
pub trait Issued: fmt::Debug + Send + Sync + 'static {
    /// The command's name ([`Command::NAME`]).
    fn name(&self) -> &'static str;

    /// The type and id of the aggregate it goes to.
    fn aggregate(&self) -> (&'static str, String);

    /// The command, to downcast: see [`Refused::command`].
    fn as_any(&self) -> &dyn Any;

    /// Whether `other` is the same command with the same fields: for tests.
    fn same_as(&self, other: &dyn Issued) -> bool;

    /// Sends it once in effect under `command_id`.
    fn send<'a>(
        &'a self,
        dispatcher: &'a Dispatcher,
        command_id: Uuid,
        metadata: Metadata,
    ) -> Sending<'a>;
}

impl<C> Issued for C
where
    C: Command + Clone + fmt::Debug + PartialEq,
{
    fn name(&self) -> &'static str {
        C::NAME
    }

    fn aggregate(&self) -> (&'static str, String) {
        (C::Aggregate::TYPE, self.aggregate_id().to_string())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same_as(&self, other: &dyn Issued) -> bool {
        other.as_any().downcast_ref::<C>() == Some(self)
    }

    fn send<'a>(
        &'a self,
        dispatcher: &'a Dispatcher,
        command_id: Uuid,
        metadata: Metadata,
    ) -> Sending<'a> {
        Box::pin(dispatcher.dispatch_once(command_id, self.clone(), metadata))
    }
}

/// A command a workflow sent that the domain refused: what a
/// [`ProcessManager::on_refused`](super::ProcessManager::on_refused) compensates for.
#[derive(Debug)]
pub struct Refused<'a> {
    /// The command, as the workflow decided it.
    pub command: &'a dyn Issued,
    /// The domain's answer: a rejection (see its code), a missing or existing aggregate, a
    /// taken value.
    pub error: &'a DispatchError,
}

impl Refused<'_> {
    /// The command, when it is a `C`.
    pub fn command<C: 'static>(&self) -> Option<&C> {
        self.command.as_any().downcast_ref()
    }

    /// The rejection's code, `not_found`, `already_exists`, `taken` or `invalid`.
    pub fn code(&self) -> &str {
        match self.error {
            DispatchError::Rejected(rejection) => rejection.code(),
            DispatchError::NotFound { .. } => "not_found",
            DispatchError::AlreadyExists { .. } => "already_exists",
            DispatchError::Taken { .. } => "taken",
            _ => "invalid",
        }
    }
}

/// Logs a refusal no compensation handles, naming the workflow.
pub fn log_refusal(workflow: &str, refused: &Refused<'_>) {
    tracing::warn!(workflow, command = refused.command.name(), code = refused.code(), error = %refused.error, "a command the workflow sent was refused");
}
