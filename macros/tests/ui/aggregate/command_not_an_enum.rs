use eventwright::{Aggregate, Apply, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Opened {}

#[derive(Event)]
pub enum AccountEvent {
    Opened(Opened),
}

/// Not a command enum: `command = ...` must name a `#[derive(Command)]` enum.
pub struct AccountRequests;

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = AccountEvent, command = AccountRequests)]
pub struct Account {}

impl Apply<Opened> for Account {
    fn apply(&mut self, _: &Opened) {}
}

fn main() {}
