// Services are shared by every command in flight: `Rc` cannot be.
use eventwright::{Aggregate, Apply, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Reserved {}

use std::rc::Rc;

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Reserved, services = Rc<u32>)]
pub struct Shelf {}

impl Apply<Reserved> for Shelf {
    fn apply(&mut self, _: &Reserved) {}
}

fn main() {}
