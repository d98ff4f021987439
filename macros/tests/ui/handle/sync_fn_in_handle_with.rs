// A `HandleWith` handler returns a future: written `async fn`, not `fn`.
use eventwright::{Aggregate, Apply, Command, Context, Event, HandleWith, Rejection};
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

impl HandleWith<Reserve> for Shelf {
    fn handle(&self, _: &Reserve, _: Context<'_, ()>) -> Result<Vec<Reserved>, Rejection> {
        Ok(vec![Reserved {}])
    }
}

fn main() {}
