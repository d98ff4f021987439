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
//!   its place in the step and the command itself, through
//!   [`Dispatcher::dispatch_once`](crate::Dispatcher::dispatch_once): sent again after a crash,
//!   it appends nothing and gets the same answer;
//! - a process's state, the last event it handled of each aggregate, and its timers are kept
//!   in the event store's database ([`WorkflowStore`](crate::store::WorkflowStore)), and a
//!   step changes them in one transaction, from the version it read. An event delivered again
//!   is skipped. Of two steps of one process racing (two instances, or a timer and an event),
//!   one commits; the other's commands may have been sent already, and it is decided again on
//!   the state the first left, sending what that decision calls for. The aggregates' own rules
//!   settle what the two sent (a paid order refuses to be cancelled).
//!
//! A process takes the events of its correlation from the one that starts it on. On the log,
//! an event before that one is ignored however often it is delivered; from Kafka, where the
//! events of several aggregates arrive in no common order, an event of another aggregate that
//! arrives before the starting one is ignored.
//!
//! A step decides first, on its state and the event (or timer), then its commands are sent, in
//! order, then its state and timers are kept. A step must therefore decide the same way given
//! the same state and input: it reads the time from [`Steps::now`], never the system clock.

mod engine;
mod events;
mod kinds;
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
pub use kinds::{Handles, PolicyReceives, ProcessReceives, React};
pub use run::WorkflowError;
pub use send::command_id;
pub use steps::{Issued, Refused, Sending, Steps, log_refusal};

/// The derives, under the traits' names, as `serde` does: `use eventwright::workflow::Policy`
/// brings both.
#[cfg(feature = "derive")]
pub use eventwright_macros::{Policy, ProcessManager};

/// A stateless reaction: on each event it receives, the commands to send.
///
/// # `#[derive(Policy)]`
///
/// On a type without generic parameters (a unit struct, usually). It routes each kind of its
/// event type to a [`React`] impl, and is **exhaustive** as `#[derive(Projection)]` is: every
/// kind reacts or is listed in `ignore(..)`, so a kind added to the event enum fails to compile,
/// naming the kind and the policy, until each policy decides; an impl for a kind of another
/// event type is refused at that kind. Keys of `#[policy(...)]`:
///
/// | key | value | default |
/// |---|---|---|
/// | `name` | [`NAME`](Policy::NAME), `"ship-paid-orders"` | required: its commands' ids derive from it, so it must outlive a rename of the type |
/// | `event` | the event type it receives, `OrderEvent` | required, or `events` |
/// | `events(A, B)` | the event types it receives, of several aggregates: each kind of each reacts or is ignored | |
/// | `ignore(A, B)` | kinds it does nothing on; each a kind of `event` (of one of `events`) | none |
///
/// With `events(..)` it receives a hidden enum holding one of any, which decodes each stored
/// event by the type that names it; two naming an event alike fail to compile. Each kind of
/// each is decided as for one, but an impl for a kind of neither is not refused: trait bounds
/// cannot say "a kind of one of these".
///
/// `#[eventwright(crate = "path")]` names the runtime crate when another crate re-exports it.
///
/// ```
/// use eventwright::workflow::{Policy, React, Steps};
/// use eventwright::{Event, EventEnvelope, testing::given_policy};
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// # pub struct Placed {}
/// # #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// # pub struct Paid {}
/// # #[derive(Debug, Clone, PartialEq, Event)]
/// # pub enum OrderEvent { Placed(Placed), Paid(Paid) }
/// # #[derive(Debug, Default, Serialize, Deserialize, eventwright::Aggregate)]
/// # #[aggregate(event = OrderEvent, id = String)]
/// # pub struct Order {}
/// # impl eventwright::Apply<Placed> for Order { fn apply(&mut self, _: &Placed) {} }
/// # impl eventwright::Apply<Paid> for Order { fn apply(&mut self, _: &Paid) {} }
/// # #[derive(Debug, Clone, PartialEq, serde::Deserialize, eventwright::Command)]
/// # #[command(aggregate = Order)]
/// # pub struct Ship { #[command(id)] pub id: String }
/// # impl eventwright::Handle<Ship> for Order {
/// #     fn handle(&self, _: &Ship) -> Result<Vec<OrderEvent>, eventwright::Rejection> { Ok(vec![]) }
/// # }
///
/// #[derive(Policy)]
/// #[policy(name = "ship-paid-orders", event = OrderEvent, ignore(Placed))]
/// pub struct ShipPaidOrders;
///
/// impl React<Paid> for ShipPaidOrders {
///     fn react(&self, _: &Paid, envelope: &EventEnvelope, steps: &mut Steps) {
///         steps.send(Ship { id: envelope.aggregate_id.clone() });
///     }
/// }
///
/// given_policy(ShipPaidOrders)
///     .when::<Order>("o-1", Paid {})
///     .then_sends(Ship { id: "o-1".into() });
/// assert_eq!(ShipPaidOrders::NAME, "ship-paid-orders");
/// ```
///
/// # By hand
///
/// One `react` for every event, matching on its kinds:
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
///
/// # `#[derive(ProcessManager)]`
///
/// On a type without generic parameters. It routes each kind of its event type to a
/// [`Handles`] impl: the process it belongs to ([`Handles::correlate`], by default the id of
/// the aggregate that recorded it), whether it starts one ([`Handles::STARTS`], off by default)
/// and what the process does. Exhaustive as `#[derive(Policy)]`: every kind is handled or
/// listed in `ignore(..)` (its events belong to no process). Keys of `#[process(...)]`:
///
/// | key | value | default |
/// |---|---|---|
/// | `name` | [`NAME`](ProcessManager::NAME), `"fulfilment"` | required, as for a policy |
/// | `event` | the event type it receives, `OrderEvent` | required, or `events` |
/// | `events(A, B)` | the event types it receives, of several aggregates, as for a policy | |
/// | `state` | [`State`](ProcessManager::State), `Settling` | required |
/// | `timer` | [`Timer`](ProcessManager::Timer), what its timers carry, `PaymentDue` | `()` |
/// | `ignore(A, B)` | kinds that belong to no process | none |
/// | `on_timer` | the function [`on_timer`](ProcessManager::on_timer) calls, `Self::payment_due`: `fn(&Self, &mut State, Timer, &mut Steps<Timer>)` | timers fire to no effect |
/// | `on_refused` | the function [`on_refused`](ProcessManager::on_refused) calls: `fn(&Self, &mut State, &Refused<'_>, &mut Steps<Timer>)` | the refusal is logged |
///
/// A function of another signature is reported at its path. With `events(..)`, the events of
/// other aggregates usually name their process by a field (the order a payment is for):
/// override [`Handles::correlate`]. `#[eventwright(crate = "path")]` as for a policy.
///
/// ```
/// use chrono::Duration;
/// use eventwright::workflow::{Handles, ProcessManager, Steps};
/// use eventwright::{Event, EventEnvelope, testing::given_process};
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// # pub struct Placed {}
/// # #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// # pub struct Paid {}
/// # #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// # pub struct Shipped {}
/// # #[derive(Debug, Clone, PartialEq, Event)]
/// # pub enum OrderEvent { Placed(Placed), Paid(Paid), Shipped(Shipped) }
/// # #[derive(Debug, Default, Serialize, Deserialize, eventwright::Aggregate)]
/// # #[aggregate(event = OrderEvent, id = String)]
/// # pub struct Order {}
/// # impl eventwright::Apply<Placed> for Order { fn apply(&mut self, _: &Placed) {} }
/// # impl eventwright::Apply<Paid> for Order { fn apply(&mut self, _: &Paid) {} }
/// # impl eventwright::Apply<Shipped> for Order { fn apply(&mut self, _: &Shipped) {} }
/// # #[derive(Debug, Clone, PartialEq, serde::Deserialize, eventwright::Command)]
/// # #[command(aggregate = Order)]
/// # pub struct Cancel { #[command(id)] pub id: String }
/// # impl eventwright::Handle<Cancel> for Order {
/// #     fn handle(&self, _: &Cancel) -> Result<Vec<OrderEvent>, eventwright::Rejection> { Ok(vec![]) }
/// # }
/// #[derive(Default, Serialize, Deserialize)]
/// pub struct Settling { paid: bool }
///
/// #[derive(Serialize, Deserialize)]
/// pub struct PaymentDue { order: String }
///
/// #[derive(ProcessManager)]
/// #[process(name = "fulfilment", event = OrderEvent, state = Settling, timer = PaymentDue,
///           ignore(Shipped), on_timer = Self::payment_due)]
/// pub struct Fulfilment;
///
/// impl Handles<Placed> for Fulfilment {
///     const STARTS: bool = true;
///
///     fn handle(&self, _: &mut Settling, _: &Placed, envelope: &EventEnvelope, steps: &mut Steps<PaymentDue>) {
///         let due = PaymentDue { order: envelope.aggregate_id.clone() };
///         steps.schedule_in("payment", Duration::minutes(15), due);
///     }
/// }
///
/// impl Handles<Paid> for Fulfilment {
///     fn handle(&self, state: &mut Settling, _: &Paid, _: &EventEnvelope, steps: &mut Steps<PaymentDue>) {
///         state.paid = true;
///         steps.cancel("payment");
///         steps.finish();
///     }
/// }
///
/// impl Fulfilment {
///     fn payment_due(&self, _: &mut Settling, due: PaymentDue, steps: &mut Steps<PaymentDue>) {
///         steps.send(Cancel { id: due.order });
///     }
/// }
///
/// given_process(Fulfilment)
///     .event::<Order>("o-1", Placed {})
///     .when_time_passes(Duration::minutes(15))
///     .then_fires("payment")
///     .then_sends(Cancel { id: "o-1".into() });
/// given_process(Fulfilment)
///     .when::<Order>("o-2", Paid {})                  // no process started: ignored
///     .then_sends_nothing_more();
/// assert_eq!(Fulfilment::NAME, "fulfilment");
/// ```
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
        log_refusal(Self::NAME, refused);
    }
}
