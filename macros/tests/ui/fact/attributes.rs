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
#[fact(form = Book, name = 7)]
pub struct Misspelled {
    #[fact(tags)]
    pub member: String,
}

#[derive(Default, Fact)]
#[fact(from = Book)]
pub struct NoTag {
    pub member: String,
}

#[derive(Default, Fact)]
pub struct FromNowhere {
    #[fact(tag)]
    pub member: String,
}

#[derive(Fact)]
#[fact(from = Book)]
pub enum NotAStruct {
    Loans,
}

fn main() {}
