// A scenario without a `then_` asserts nothing: the compiler says so.
#![deny(unused_must_use)]

use eventwright::testing::given;
use eventwright::{Aggregate, Apply, Command, Event, Handle, Rejection};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize, Event)]
pub struct Reserved {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Reserved)]
pub struct Shelf {}

impl Apply<Reserved> for Shelf {
    fn apply(&mut self, _: &Reserved) {}
}

#[derive(Command)]
#[command(aggregate = Shelf, creates)]
pub struct Reserve {
    pub id: String,
}

impl Handle<Reserve> for Shelf {
    fn handle(&self, _: &Reserve) -> Result<Vec<Reserved>, Rejection> {
        Ok(vec![Reserved {}])
    }
}

fn main() {
    given::<Shelf>([]).when(Reserve { id: "s".into() });
}
