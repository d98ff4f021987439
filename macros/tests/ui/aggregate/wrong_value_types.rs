// Each key takes one kind of value; every wrong one is reported, and a duplicate too.

use eventwright::{Aggregate, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

#[derive(Default, Aggregate)]
#[aggregate(id = 5, event = "Opened", name = Account, id = String)]
pub struct Account {}

fn main() {}
