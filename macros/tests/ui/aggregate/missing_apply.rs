use eventwright::{Aggregate, Apply, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Opened {}

#[derive(Serialize, Deserialize)]
pub struct Closed {}

#[derive(Event)]
pub enum AccountEvent {
    Opened(Opened),
    Closed(Closed),
}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = AccountEvent)]
pub struct Account {
    open: bool,
}

impl Apply<Opened> for Account {
    fn apply(&mut self, _: &Opened) {
        self.open = true;
    }
}

fn main() {}
