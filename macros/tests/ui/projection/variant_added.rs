// A kind added to the event enum after the projections were written: each projection that neither
// projects nor ignores it fails, naming the kind and the projection.

use eventwright::{Change, Event, EventEnvelope, Project, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Serialize, Deserialize)]
pub struct Shipped {}

#[derive(Serialize, Deserialize)]
pub struct Returned {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
    Shipped(Shipped),
    Returned(Returned),
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Shipped))]
pub struct OrderSummary {
    pub order_id: String,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Placed, Shipped))]
pub struct Returns {
    pub order_id: String,
}

impl Project<Placed> for OrderSummary {
    fn project(_: Option<Self>, _: &Placed, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(OrderSummary { order_id: envelope.aggregate_id.clone() })
    }
}

fn main() {}
