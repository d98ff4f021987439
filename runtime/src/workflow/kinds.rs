//! What a workflow does with each kind of event, one impl per kind: what `#[derive(Policy)]` and
//! `#[derive(ProcessManager)]` route each event to, as `#[derive(Projection)]` routes to
//! [`Project`](crate::Project).

use super::steps::Steps;
use super::{Policy, ProcessManager};
use crate::event::EventEnvelope;

/// How a policy reacts to one kind of event: the commands to send.
///
/// `#[derive(Policy)]` requires one impl per kind of its event type, or the kind listed in
/// `#[policy(ignore(..))]`: adding a kind to the event enum is a compile error until every
/// policy decides. An impl for an event the policy never receives is refused where it is
/// written.
#[diagnostic::on_unimplemented(
    message = "policy `{Self}` does not react to `{E}` events",
    label = "`{E}` is a kind of this event type, and `{Self}` neither reacts to nor ignores it",
    note = "add `impl eventwright::workflow::React<{E}> for {Self}`, or list the kind in `#[policy(ignore({E}))]`"
)]
pub trait React<E>: Policy + PolicyReceives<E> {
    /// The commands to send for `event`.
    fn react(&self, event: &E, envelope: &EventEnvelope, steps: &mut Steps);
}

/// How a process manager handles one kind of event: which process it belongs to, whether it
/// starts one, and what the process does.
///
/// `#[derive(ProcessManager)]` requires one impl per kind of its event type, or the kind listed
/// in `#[process(ignore(..))]` (its events belong to no process). As for [`React`], a kind
/// added later fails to compile until each process manager decides, and an impl for an event
/// it never receives is refused.
#[diagnostic::on_unimplemented(
    message = "process manager `{Self}` does not handle `{E}` events",
    label = "`{E}` is a kind of this event type, and `{Self}` neither handles nor ignores it",
    note = "add `impl eventwright::workflow::Handles<{E}> for {Self}`, or list the kind in `#[process(ignore({E}))]`"
)]
pub trait Handles<E>: ProcessManager + ProcessReceives<E> {
    /// Whether an event of this kind starts a process that has not started. Off by default, so
    /// a process starts only where an impl says so (an order placed, not an order paid).
    const STARTS: bool = false;

    /// The process `event` belongs to: by default the one of the aggregate that recorded it
    /// (the order's id on an order's events). Events of other aggregates name it from a field
    /// (the order a stock reservation is for); `None` leaves the event to no process.
    fn correlate(event: &E, envelope: &EventEnvelope) -> Option<String> {
        let _ = event;
        Some(envelope.aggregate_id.clone())
    }

    /// Moves the process's state on `event`, and decides what to do.
    fn handle(
        &self,
        state: &mut Self::State,
        event: &E,
        envelope: &EventEnvelope,
        steps: &mut Steps<Self::Timer>,
    );
}

/// That a policy receives `E` events: `E` is a kind of its event type. A supertrait of
/// [`React`], so an impl for an event the policy never receives is refused where it is
/// written, as [`Receives`](crate::projection::Receives) does for projections.
pub trait PolicyReceives<E> {}

impl<P, E> PolicyReceives<E> for P
where
    P: Policy,
    E: crate::__private::KindOf<P::Event>,
{
}

/// That a process manager receives `E` events: a supertrait of [`Handles`], as
/// [`PolicyReceives`] is of [`React`]: one trait each, as one type may be both, and two blanket
/// impls of one trait would then overlap.
pub trait ProcessReceives<E> {}

impl<M, E> ProcessReceives<E> for M
where
    M: ProcessManager,
    E: crate::__private::KindOf<M::Event>,
{
}
