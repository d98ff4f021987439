use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, eventwright::Event)]
#[eventwright(krate = "ew")]
pub struct Pinged {}

#[derive(Serialize, Deserialize, eventwright::Event)]
#[eventwright(crate = "not a path")]
pub struct Ponged {}

fn main() {}
