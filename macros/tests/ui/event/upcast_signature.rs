// An upcaster works on the serialized form: `fn(serde_json::Value) -> Result<serde_json::Value, String>`.

use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct ItemAddedV1 {
    pub sku: String,
}

fn typed(old: ItemAddedV1) -> ItemAdded {
    ItemAdded { sku: old.sku, quantity: 1 }
}

#[derive(Serialize, Deserialize, Event)]
#[event(version = 2, upcast(from = 1, with = typed))]
pub struct ItemAdded {
    pub sku: String,
    pub quantity: u32,
}

fn main() {}
