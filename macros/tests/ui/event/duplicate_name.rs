use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Serialize, Deserialize)]
pub struct PlacedAgain {}

#[derive(Serialize, Deserialize)]
pub struct Other {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
    #[event(name = "Placed", version = 2)]
    PlacedV2(PlacedAgain),
    #[event(name = "Placed")]
    Other(Other),
}

fn main() {}
