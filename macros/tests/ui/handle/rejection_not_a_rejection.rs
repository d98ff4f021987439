// `rejection` names the domain's own rejection enum, not any error type.
use eventwright::{Aggregate, Apply, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Reserved {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Reserved, rejection = std::io::Error)]
pub struct Shelf {}

impl Apply<Reserved> for Shelf {
    fn apply(&mut self, _: &Reserved) {}
}

fn main() {}
