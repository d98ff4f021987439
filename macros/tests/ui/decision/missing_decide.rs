use eventwright::{Aggregate, Apply, Decision, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Opened)]
pub struct Account {}

impl Apply<Opened> for Account {
    fn apply(&mut self, _: &Opened) {}
}

#[derive(Decision)]
pub struct Transfer {
    #[decision(reads = Account)]
    pub from: String,
}

fn main() {}
