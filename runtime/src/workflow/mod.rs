//! Workflows: what the service does, on its own, when something happens. A [`Policy`] sends
//! commands when an event happens ("when a loan is overdue, notify the member"); a
//! [`ProcessManager`] follows a process over several aggregates and over time, keeping state of
//! its own, setting timers, and compensating when a command it sent is refused ("when an
//! order is checked out, reserve its stock; if that is refused, cancel the order; if no payment
//! came within 15 minutes, release the stock").
//!
//! [`WorkflowEngine`] runs them from the same [`Feed`](crate::engine::Feed)s as projections:
//! in process from the log, or from Kafka's topics in a consumer group per workflow. Delivery
//! is at least once, and every effect happens once:
//!
//! - each command is sent with an id derived from what caused it (the event, or the timer),
//!   through [`Dispatcher::dispatch_once`](crate::Dispatcher::dispatch_once): sent again after
//!   a crash, it appends nothing and gets the same answer;
//! - a process's state, the last event it handled of each aggregate, and its timers are kept
//!   in the event store's database ([`WorkflowStore`](crate::store::WorkflowStore)), and a
//!   step changes them in one transaction, from the version it read. An event delivered again
//!   is skipped; two steps of one process racing (two instances, or a timer and an event) end
//!   with one committed and the other decided again on its state.
//!
//! A step decides first, on its state and the event (or timer), then its commands are sent, in
//! order, then its state and timers are kept. A step must therefore decide the same way given
//! the same state and input: it reads the time from [`Steps::now`], never the system clock.

mod engine;
mod events;
mod policy;
mod process;
mod run;
mod send;
mod steps;
mod timers;
mod turns;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::event::EventEnvelope;

pub use engine::{WorkflowEngine, WorkflowStatus};
pub use events::{Either, Events};
pub use run::WorkflowError;
pub use send::command_id;
pub use steps::{Issued, Refused, Sending, Steps};

/// A stateless reaction: on each event it receives, the commands to send.
///
/// ```
/// # use eventwright::workflow::{Policy, Steps};
/// # use eventwright::EventEnvelope;
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, eventwright::Event)]
/// # pub enum LoanEvent { Overdue(Overdue) }
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
/// # pub struct Overdue { pub member: String }
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, eventwright::Event)]
/// # pub enum MemberEvent { Reminded(Reminded) }
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
/// # pub struct Reminded {}
/// # #[derive(Debug, Default, serde::Serialize, serde::Deserialize, eventwright::Aggregate)]
/// # #[aggregate(event = MemberEvent, id = String)]
/// # pub struct Member {}
/// # impl eventwright::Apply<Reminded> for Member { fn apply(&mut self, _: &Reminded) {} }
/// # #[derive(Debug, Clone, PartialEq, serde::Deserialize, garde::Validate, eventwright::Command)]
/// # #[command(aggregate = Member)]
/// # pub struct Remind { #[garde(skip)] #[command(id)] pub member: String }
/// # impl eventwright::Handle<Remind> for Member {
/// #     fn handle(&self, _: &Remind) -> Result<Vec<MemberEvent>, eventwright::Rejection> {
/// #         Ok(vec![Reminded {}.into()])
/// #     }
/// # }
/// struct RemindOverdueMembers;
///
/// impl Policy for RemindOverdueMembers {
///     const NAME: &'static str = "remind-overdue-members";
///     type Event = LoanEvent;
///
///     fn react(&self, event: &LoanEvent, _: &EventEnvelope, steps: &mut Steps) {
///         let LoanEvent::Overdue(overdue) = event;
///         steps.send(Remind { member: overdue.member.clone() });
///     }
/// }
/// ```
pub trait Policy: Send + Sync + 'static {
    /// The workflow's stable name: its checkpoint, consumer group, dead letters and metrics
    /// are kept under it, and the ids of its commands derive from it.
    const NAME: &'static str;

    /// The events it receives: one aggregate's event type, or several with [`Either`].
    type Event: Events;

    /// The commands to send for `event`. A refused command is logged; a policy that must
    /// compensate is a [`ProcessManager`].
    fn react(&self, event: &Self::Event, envelope: &EventEnvelope, steps: &mut Steps);
}

/// A stateful process over several aggregates and over time, one per correlation value (an
/// order id), with its own state, timers and compensations.
pub trait ProcessManager: Send + Sync + 'static {
    /// The workflow's stable name, as for a [`Policy`].
    const NAME: &'static str;

    /// The events it receives: one aggregate's event type, or several with [`Either`].
    type Event: Events;

    /// Its state in each process, kept as JSON between steps.
    type State: Default + Serialize + DeserializeOwned + Send + Sync + 'static;

    /// What its timers carry, kept as JSON until they fire.
    type Timer: Serialize + DeserializeOwned + Send + Sync + 'static;

    /// The process `event` belongs to (the order id on an order's, a stock reservation's and
    /// a payment's events); `None` for an event this workflow ignores.
    fn correlate(&self, event: &Self::Event, envelope: &EventEnvelope) -> Option<String>;

    /// Whether `event` starts a process that has not started; the events of a process that
    /// has not started, or has finished, are ignored. By default every event starts one.
    fn starts(&self, event: &Self::Event) -> bool {
        let _ = event;
        true
    }

    /// Moves the process's state on `event`, and decides what to do.
    fn handle(
        &self,
        state: &mut Self::State,
        event: &Self::Event,
        envelope: &EventEnvelope,
        steps: &mut Steps<Self::Timer>,
    );

    /// A timer this process set has fired; it fires once, unless cancelled or moved first.
    fn on_timer(
        &self,
        state: &mut Self::State,
        timer: Self::Timer,
        steps: &mut Steps<Self::Timer>,
    ) {
        let _ = (state, timer, steps);
    }

    /// A command this step sent was refused: compensate here (its state is the state the step
    /// left so far). By default the refusal is logged and the process goes on.
    fn on_refused(
        &self,
        state: &mut Self::State,
        refused: &Refused<'_>,
        steps: &mut Steps<Self::Timer>,
    ) {
        let _ = (state, steps);
        tracing::warn!(workflow = Self::NAME, command = refused.command.name(), code = refused.code(), error = %refused.error, "a command the workflow sent was refused");
    }
}
