use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Serialize, Deserialize)]
pub struct Shipped {}

#[derive(Event)]
pub enum OrderEvent {
    #[event(nme = "OrderPlaced")]
    Placed(Placed),
    #[event(verison = 2, colour = "red")]
    Shipped(Shipped),
}

fn main() {}
