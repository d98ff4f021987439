// A policy decides every kind of its event type: one neither reacted to nor ignored is reported
// at the event type, naming the kind, the policy and the impl to add.

use eventwright::workflow::{Policy, React, Steps};
use eventwright::{Event, EventEnvelope};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Serialize, Deserialize)]
pub struct Paid {}

#[derive(Serialize, Deserialize)]
pub struct Shipped {}

#[derive(Event)]
pub enum OrderEvent {
    Placed(Placed),
    Paid(Paid),
    Shipped(Shipped),
}

#[derive(Policy)]
#[policy(name = "ship-paid-orders", event = OrderEvent, ignore(Placed))]
pub struct ShipPaidOrders;

impl React<Paid> for ShipPaidOrders {
    fn react(&self, _: &Paid, _: &EventEnvelope, _: &mut Steps) {}
}

fn main() {}
