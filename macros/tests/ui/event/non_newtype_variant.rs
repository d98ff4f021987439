use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
    Shipped { at: String },
    Cancelled,
    Merged(Placed, Placed),
}

fn main() {}
