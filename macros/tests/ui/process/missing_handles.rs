// A process manager decides every kind of its event type: one neither handled nor ignored is
// reported at the event type, naming the kind, the process manager and the impl to add.

use eventwright::workflow::{Handles, ProcessManager, Steps};
use eventwright::{Event, EventEnvelope};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Serialize, Deserialize)]
pub struct Paid {}

#[derive(Serialize, Deserialize)]
pub struct Shipped {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
    Paid(Paid),
    Shipped(Shipped),
}

#[derive(Default, Serialize, Deserialize)]
pub struct Settling {}

#[derive(ProcessManager)]
#[process(name = "fulfilment", event = OrderEvent, state = Settling, ignore(Shipped))]
pub struct Fulfilment;

impl Handles<Placed> for Fulfilment {
    const STARTS: bool = true;

    fn handle(&self, _: &mut Settling, _: &Placed, _: &EventEnvelope, _: &mut Steps<()>) {}
}

fn main() {}
