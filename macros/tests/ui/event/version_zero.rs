// Versions count from 1; a stored v0 could never be told apart from "no version".

use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
#[event(name = "Pinged", version = 0)]
pub struct Ping {}

fn main() {}
