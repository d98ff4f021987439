use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Lent {
    pub member: String,
    pub copies: Vec<String>,
}

#[derive(Event)]
#[event(tags(member))]
pub enum BookEvent {
    Lent(Lent),
}

#[derive(Event)]
pub enum Loans {
    #[event(tags(copies), tags = "member")]
    Lent(Lent),
}

#[derive(Event)]
pub enum Returns {
    #[event(tags(member, member))]
    Lent(Lent),
}

fn main() {}
