use eventwright::{Change, Event, EventEnvelope, Project, Projection};
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
#[projection(event = OrderEvent, key = order_id)]
pub struct OrderSummary {
    pub order_id: String,
    pub customer: String,
}

impl Project<Placed> for OrderSummary {
    fn project(_: Option<Self>, event: &Placed, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(OrderSummary { order_id: envelope.aggregate_id.clone(), customer: event.customer.clone() })
    }
}

fn main() {}
