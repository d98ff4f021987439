use eventwright::{Aggregate, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

#[derive(Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = Opened, persistence = "state-stored")]
pub struct Account {}

#[derive(Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = Opened, persistence = "tables")]
pub struct Ledger {}

#[derive(Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = Opened, persistence = state_stored)]
pub struct Vault {}

// The state row is always current: snapshots would be a second copy of it.
#[derive(Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = Opened, persistence = "state_stored", snapshot_every = 10)]
pub struct Till {}

fn main() {}
