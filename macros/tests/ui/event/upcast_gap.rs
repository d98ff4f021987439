// v2 events could be stored but never read: nothing brings them to v3.

use eventwright::Event;
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn v1_to_v2(payload: Value) -> Result<Value, String> {
    Ok(payload)
}

fn v3_to_v4(payload: Value) -> Result<Value, String> {
    Ok(payload)
}

#[derive(Serialize, Deserialize)]
pub struct ItemAdded {}

#[derive(Event)]
pub enum OrderEvent {
    #[event(version = 4, upcast(from = 1, with = v1_to_v2), upcast(from = 3, with = v3_to_v4))]
    ItemAdded(ItemAdded),
}

fn main() {}
