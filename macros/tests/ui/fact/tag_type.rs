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

#[derive(Default, Fact)]
#[fact(from = Book)]
pub struct Loans {
    #[fact(tag)]
    pub members: Vec<String>,
}

impl Apply<Lent> for Loans {
    fn apply(&mut self, _: &Lent) {}
}

fn main() {}
