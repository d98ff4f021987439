// An async handler written as a plain `Handle`: async handlers implement `HandleWith`.
use eventwright::{Aggregate, Apply, Command, Event, Handle, Rejection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Reserved {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Reserved)]
pub struct Shelf {}

impl Apply<Reserved> for Shelf {
    fn apply(&mut self, _: &Reserved) {}
}

#[derive(Command)]
#[command(aggregate = Shelf)]
pub struct Reserve {
    pub id: String,
}

impl Handle<Reserve> for Shelf {
    async fn handle(&self, _: &Reserve) -> Result<Vec<Reserved>, Rejection> {
        Ok(vec![Reserved {}])
    }
}

fn main() {}
