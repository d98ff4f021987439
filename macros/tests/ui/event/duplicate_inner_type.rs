use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
    #[event(name = "Replaced")]
    Replaced(Placed),
}

fn main() {}
