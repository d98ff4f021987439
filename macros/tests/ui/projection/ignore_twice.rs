// Each ignored kind is listed once, across every #[projection(...)] on the type.

use eventwright::{Event, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Placed))]
#[projection(ignore(Placed))]
pub struct OrderSummary {
    pub order_id: String,
}

fn main() {}
