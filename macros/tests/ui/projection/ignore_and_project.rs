// A kind is either projected or ignored, not both.

use eventwright::{Change, Event, EventEnvelope, Project, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Placed))]
pub struct OrderSummary {
    pub order_id: String,
}

impl Project<Placed> for OrderSummary {
    fn project(_: Option<Self>, _: &Placed, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(OrderSummary { order_id: envelope.aggregate_id.clone() })
    }
}

fn main() {}
