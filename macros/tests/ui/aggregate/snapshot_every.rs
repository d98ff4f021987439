use eventwright::{Aggregate, Apply, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Opened, snapshot_every = 0)]
pub struct Account {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Opened, snapshot_every = "100", snapshot_every = -1)]
pub struct Ledger {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Opened, snapshots_every = 10)]
pub struct Vault {}

impl Apply<Opened> for Account {
    fn apply(&mut self, _: &Opened) {}
}

fn main() {}
