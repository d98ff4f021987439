use eventwright::{Aggregate, Apply, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

// Snapshots are the state as JSON: without serde there is nothing to keep.
#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Opened, snapshot_every = 100)]
pub struct Account {}

impl Apply<Opened> for Account {
    fn apply(&mut self, _: &Opened) {}
}

// Writing snapshots is not enough: they must also be read back.
#[derive(Default, Serialize, Aggregate)]
#[aggregate(id = String, event = Opened, snapshot_every = 100)]
pub struct Ledger {}

impl Apply<Opened> for Ledger {
    fn apply(&mut self, _: &Opened) {}
}

fn main() {}
