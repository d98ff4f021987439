// `ignore(..)` lists kinds of the projection's event; a kind of another event type, or a type that
// is no event at all, is reported where it is listed.

use eventwright::{Change, Event, EventEnvelope, Project, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Serialize, Deserialize)]
pub struct Shipped {}

#[derive(Serialize, Deserialize)]
pub struct Refunded {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
    Shipped(Shipped),
}

#[derive(Event)]
pub enum PaymentEvent {
    Refunded(Refunded),
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, ignore(Shipped, Refunded, String))]
pub struct OrderSummary {
    pub order_id: String,
}

impl Project<Placed> for OrderSummary {
    fn project(_: Option<Self>, _: &Placed, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(OrderSummary { order_id: envelope.aggregate_id.clone() })
    }
}

fn main() {}
