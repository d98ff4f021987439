// A payload is stored as a JSON object; a tuple struct would be stored as an array or a bare value.

use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
#[event(name = "Pinged")]
pub struct Ping(pub u32);

fn main() {}
