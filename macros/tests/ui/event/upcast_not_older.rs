// Upcasters lead to the current version: one from the current version or later, from v0, or a
// second one from the same version, is a mistake.

use eventwright::Event;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn up(payload: Value) -> Result<Value, String> {
    Ok(payload)
}

#[derive(Serialize, Deserialize, Event)]
#[event(
    version = 3,
    upcast(from = 1, with = up),
    upcast(from = 2, with = up),
    upcast(from = 2, with = up),
    upcast(from = 3, with = up),
    upcast(from = 0, with = up)
)]
pub struct ItemAdded {}

fn main() {}
