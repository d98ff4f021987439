// Misspelled keys get a suggestion; a process manager names itself, what it receives and the
// state it keeps.

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
#[process(name = "fulfilment", event = OrderEvent, state = Settling, on_timmer = Self::due, timr = u32)]
pub struct Misspelled;

#[derive(ProcessManager)]
#[process(event = OrderEvent, state = Settling)]
pub struct Unnamed;

// Handled as usual: the stub the failed derive leaves keeps this impl from failing too.
impl Handles<Placed> for Unnamed {
    const STARTS: bool = true;

    fn handle(&self, _: &mut Settling, _: &Placed, _: &EventEnvelope, _: &mut Steps<()>) {}
}

#[derive(ProcessManager)]
#[process(name = "stateless", event = OrderEvent, on_refused = "refused")]
pub struct Stateless;

fn main() {
    let _ = Unnamed::NAME;
}
