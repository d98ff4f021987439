// A policy reacts to, and ignores, only the kinds of its event types: anything else is reported
// where it is written.

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
#[policy(name = "ship-paid-orders", event = OrderEvent, ignore(Refunded))]
pub struct ShipPaidOrders;

impl React<Paid> for ShipPaidOrders {
    fn react(&self, _: &Paid, _: &EventEnvelope, _: &mut Steps) {}
}

#[derive(Policy)]
#[policy(name = "refunds", event = OrderEvent, ignore(Paid))]
pub struct Refunds;

impl React<Refunded> for Refunds {
    fn react(&self, _: &Refunded, _: &EventEnvelope, _: &mut Steps) {}
}

fn main() {
    let _ = (ShipPaidOrders::NAME, PaymentEvent::NAMES);
}
