// A stored name stands for one type: `Wrapped<A>` and `Wrapped<B>` would share it.

use eventwright::Event;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Wrapped<T> {
    pub inner: T,
}

#[derive(Event)]
pub enum Either<'a> {
    Left(&'a str),
}

fn main() {}
