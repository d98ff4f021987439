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
#[projection(key = order_id, tabel = "orders", ignore = Placed)]
pub struct OrderSummary {
    pub order_id: String,
    #[projection(indexed)]
    pub customer: String,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = 0)]
pub struct Tuple(String);

fn main() {}
