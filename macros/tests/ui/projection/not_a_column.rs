use eventwright::{Event, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {
    pub customer: String,
}

#[derive(Serialize, Deserialize)]
pub struct Shipped {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
    Shipped(Shipped),
}

#[derive(Serialize, Deserialize)]
pub struct Address {
    pub city: String,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Placed, Shipped))]
pub struct OrderSummary {
    pub order_id: String,
    pub address: Address,
    pub lines: u8,
}

fn main() {}
