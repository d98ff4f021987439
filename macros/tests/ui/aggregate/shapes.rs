use eventwright::{Aggregate, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Opened)]
pub enum Account {
    #[default]
    Open,
}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Opened)]
pub struct Ledger<T> {
    pub entries: Vec<T>,
}

fn main() {}
