// `on_timer` and `on_refused` name functions of the signatures of the methods they stand for: one
// of another signature is reported at its path, with both signatures.

use eventwright::workflow::{Handles, ProcessManager, Refused, Steps};
use eventwright::{Event, EventEnvelope};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
}

#[derive(Default, Serialize, Deserialize)]
pub struct Settling {}

#[derive(Serialize, Deserialize)]
pub struct PaymentDue {}

#[derive(ProcessManager)]
#[process(
    name = "fulfilment",
    event = OrderEvent,
    state = Settling,
    timer = PaymentDue,
    on_timer = Self::payment_due,
    on_refused = Self::refused,
)]
pub struct Fulfilment;

impl Handles<Placed> for Fulfilment {
    const STARTS: bool = true;

    fn handle(&self, _: &mut Settling, _: &Placed, _: &EventEnvelope, _: &mut Steps<PaymentDue>) {}
}

impl Fulfilment {
    // The timer by reference, and no steps.
    fn payment_due(&self, _: &mut Settling, _: &PaymentDue) {}

    // Steps without the process's timers.
    fn refused(&self, _: &mut Settling, _: &Refused<'_>, _: &mut Steps) {}
}

fn main() {}
