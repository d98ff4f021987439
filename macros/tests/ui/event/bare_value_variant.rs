// A variant holding a number or a string would store a bare value, as a tuple struct would:
// refused the same way, at the type.
use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Opened {}

#[derive(Event)]
pub enum AccountEvent {
    Opened(Opened),
    Deposited(i64),
    Renamed(String),
    Tagged(Vec<String>),
}

fn main() {}
