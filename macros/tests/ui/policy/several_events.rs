// `events(..)` names each event type once, not beside `event`; each kind of each is reacted to
// or ignored, and a missing one is reported at its event type.

use eventwright::workflow::{Policy, React, Steps};
use eventwright::{Event, EventEnvelope};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Paid {}

#[derive(Serialize, Deserialize)]
pub struct Refunded {}

#[derive(Event)]
pub enum OrderEvent {
    Paid(Paid),
}

#[derive(Event)]
pub enum PaymentEvent {
    Refunded(Refunded),
}

#[derive(Policy)]
#[policy(name = "both", event = OrderEvent, events(OrderEvent, PaymentEvent), ignore(Paid))]
pub struct Both;

#[derive(Policy)]
#[policy(name = "twice", events(OrderEvent, PaymentEvent, OrderEvent), ignore(Paid, Paid))]
pub struct Twice;

#[derive(Policy)]
#[policy(name = "refunds", events(OrderEvent, PaymentEvent))]
pub struct Refunds;

impl React<Paid> for Refunds {
    fn react(&self, _: &Paid, _: &EventEnvelope, _: &mut Steps) {}
}

fn main() {
    let _ = (Both::NAME, Twice::NAME);
}
