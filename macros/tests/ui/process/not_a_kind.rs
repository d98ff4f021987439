// A process manager handles, and ignores, only the kinds of its event types: anything else is
// reported where it is written.

use eventwright::workflow::{Handles, ProcessManager, Steps};
use eventwright::{Event, EventEnvelope};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Serialize, Deserialize, Event)]
pub struct Refunded {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
}

#[derive(Default, Serialize, Deserialize)]
pub struct Settling {}

#[derive(ProcessManager)]
#[process(name = "fulfilment", event = OrderEvent, state = Settling, ignore(Refunded))]
pub struct Fulfilment;

impl Handles<Placed> for Fulfilment {
    const STARTS: bool = true;

    fn handle(&self, _: &mut Settling, _: &Placed, _: &EventEnvelope, _: &mut Steps<()>) {}
}

#[derive(ProcessManager)]
#[process(name = "refunds", event = OrderEvent, state = Settling, ignore(Placed))]
pub struct Refunds;

impl Handles<Refunded> for Refunds {
    fn handle(&self, _: &mut Settling, _: &Refunded, _: &EventEnvelope, _: &mut Steps<()>) {}
}

fn main() {}
