// A projection decides only the kinds of its own event type: an impl for an event it never
// receives is refused where it is written.
use eventwright::{Change, Event, EventEnvelope, Project, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Serialize, Deserialize, Event)]
pub struct Refunded {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id)]
pub struct OrderRow {
    pub order_id: String,
}

impl Project<Placed> for OrderRow {
    fn project(_: Option<Self>, _: &Placed, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(OrderRow {
            order_id: envelope.aggregate_id.clone(),
        })
    }
}

impl Project<Refunded> for OrderRow {
    fn project(_: Option<Self>, _: &Refunded, _: &EventEnvelope) -> Change<Self> {
        Change::Delete
    }
}

fn main() {}
