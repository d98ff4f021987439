use eventwright::{Aggregate, Apply, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Registered {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Registered)]
pub struct Book {
    #[aggregate(unique)]
    pub copies: u32,
}

impl Apply<Registered> for Book {
    fn apply(&mut self, _: &Registered) {}
}

fn main() {}
