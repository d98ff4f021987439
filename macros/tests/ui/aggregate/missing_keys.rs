use eventwright::{Aggregate, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

#[derive(Default, Aggregate)]
#[aggregate(name = "Account")]
pub struct Account {}

#[derive(Default, Aggregate)]
pub struct Ledger {}

fn main() {}
