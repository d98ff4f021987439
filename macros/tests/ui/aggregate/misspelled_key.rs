use eventwright::{Aggregate, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, evnt = Opened)]
pub struct Account {}

fn main() {}
