use eventwright::{Event, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Placed {}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = Placed, key = id)]
pub struct Page<T> {
    pub id: String,
    pub items: Vec<T>,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = Placed, key = id)]
pub struct Tuple(pub String);

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = Placed, key = id)]
pub enum Status {
    Open,
}

fn main() {}
