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

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = oder_id, ignore(Placed, Shipped))]
pub struct OrderSummary {
    pub order_id: String,
    pub customer: String,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = id, ignore(Placed, Shipped))]
pub struct Unrelated {
    pub order_id: String,
    pub customer: String,
}

fn main() {}
