use eventwright::{Aggregate, Apply, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

// A state-stored aggregate is kept as JSON: without serde there is no row to write.
#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Opened, persistence = "state_stored")]
pub struct Account {}

impl Apply<Opened> for Account {
    fn apply(&mut self, _: &Opened) {}
}

// Writing the row is not enough: it must also be read back.
#[derive(Default, Serialize, Aggregate)]
#[aggregate(id = String, event = Opened, persistence = "state_stored")]
pub struct Ledger {}

impl Apply<Opened> for Ledger {
    fn apply(&mut self, _: &Opened) {}
}

fn main() {}
