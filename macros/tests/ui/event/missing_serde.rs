// An event is stored as JSON: each kind says which serde impl it lacks, at its type.
use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
pub struct Placed {}

#[derive(Deserialize)]
pub struct Shipped {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
    Shipped(Shipped),
}

#[derive(Event)]
pub struct Cancelled {
    pub reason: String,
}

fn main() {}
