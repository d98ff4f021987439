// Malformed `upcast`: not a list, a misspelled or missing key, and on the enum instead of a variant.

use eventwright::Event;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn up(payload: Value) -> Result<Value, String> {
    Ok(payload)
}

#[derive(Serialize, Deserialize)]
pub struct Placed {}

#[derive(Serialize, Deserialize)]
pub struct Shipped {}

#[derive(Serialize, Deserialize)]
pub struct Paid {}

#[derive(Event)]
#[event(upcast(from = 1, with = up))]
pub enum OrderEvent {
    #[event(version = 2, upcast = up)]
    Placed(Placed),
    #[event(version = 2, upcast(form = 1, with = up))]
    Shipped(Shipped),
    #[event(version = 2, upcast(from = 1), upcast(with = "up"))]
    Paid(Paid),
}

fn main() {}
