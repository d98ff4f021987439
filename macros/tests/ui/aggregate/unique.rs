use eventwright::{Aggregate, Apply, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Registered {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Registered)]
pub struct Book {
    #[aggregate(unique(within = shelf))]
    pub isbn: String,
    #[aggregate(unique(withn = isbn))]
    pub barcode: String,
    #[aggregate(uniqe)]
    pub title: String,
}

impl Apply<Registered> for Book {
    fn apply(&mut self, _: &Registered) {}
}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Registered)]
pub struct Tuple(#[aggregate(unique)] pub String);

impl Apply<Registered> for Tuple {
    fn apply(&mut self, _: &Registered) {}
}

fn main() {}
