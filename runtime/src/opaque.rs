//! Tokens the service hands out for clients to pass back unchanged (page cursors, consistency
//! tokens): JSON as hex, opaque to clients and plain ASCII, so they travel in a header or a URL
//! as they are.

use serde_json::Value;

pub(crate) fn encode(value: &Value) -> String {
    value
        .to_string()
        .bytes()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

pub(crate) fn decode(text: &str) -> Option<Value> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    let bytes = (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
