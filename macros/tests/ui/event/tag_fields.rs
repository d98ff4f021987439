use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Lent {
    pub member: String,
    pub copies: Vec<String>,
}

#[derive(Event)]
pub enum BookEvent {
    #[event(tags(membr, copies))]
    Lent(Lent),
}

fn main() {}
