use eventwright::{Aggregate, Apply, Event, Fact};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Lent {
    pub member: String,
}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Lent)]
pub struct Book {}

impl Apply<Lent> for Book {
    fn apply(&mut self, _: &Lent) {}
}

/// Folds the books' events but says nowhere how.
#[derive(Default, Fact)]
#[fact(from = Book)]
pub struct Loans {
    #[fact(tag)]
    pub member: String,
    pub count: u32,
}

fn main() {}
