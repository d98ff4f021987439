// Misspelled keys get a suggestion, keys of a process manager are refused on a policy, and a
// policy names itself and what it receives.

use eventwright::workflow::Policy;
use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Paid {}

#[derive(Event)]
pub enum OrderEvent {
    Paid(Paid),
}

#[derive(Policy)]
#[policy(name = "ship-paid-orders", evnet = OrderEvent, state = Settling, ignore = Paid)]
pub struct Misspelled;

#[derive(Policy)]
#[policy(event = OrderEvent, ignore(Paid))]
pub struct Unnamed;

#[derive(Policy)]
#[policy(name = "", ignore(Paid))]
pub struct Empty;

#[derive(Policy)]
#[policy(name = "generic", event = OrderEvent, ignore(Paid))]
pub struct Generic<T>(T);

fn main() {
    // Stubs stand in for what failed: no error follows from using them.
    let _ = Unnamed::NAME;
}
