// A kind is handled or ignored, not both: the derive's impl for the ignored kind conflicts.

use eventwright::workflow::{Handles, ProcessManager, Steps};
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

#[derive(ProcessManager)]
#[process(name = "both", event = OrderEvent, state = Settling, ignore(Placed))]
pub struct Both;

impl Handles<Placed> for Both {
    fn handle(&self, _: &mut Settling, _: &Placed, _: &EventEnvelope, _: &mut Steps<()>) {}
}

fn main() {}
