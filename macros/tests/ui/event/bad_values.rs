use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Serialize, Deserialize)]
pub struct Shipped {}

#[derive(Serialize, Deserialize)]
pub struct Paid {}

#[derive(Event)]
#[event(name = "Order", version = 2)]
pub enum OrderEvent {
    #[event(version = 0)]
    Placed(Placed),
    #[event(name = 5, version = "2")]
    Shipped(Shipped),
    #[event(name = "", name = "Paid")]
    Paid(Paid),
}

#[derive(Serialize, Deserialize, Event)]
#[event(name = "Pinged")]
pub struct Ping {
    #[event(name = "count")]
    pub count: u32,
}

fn main() {}
