use eventwright::decision::{Changes, Decide, Read};
use eventwright::{Aggregate, Apply, Decision, DispatchError, Event};
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
    pub from: u64,
    #[decision(reads = Account)]
    pub to: String,
}

impl Decide for Transfer {
    fn decide(&self, _: &Read, _: &mut Changes) -> Result<(), DispatchError> {
        Ok(())
    }
}

fn main() {}
