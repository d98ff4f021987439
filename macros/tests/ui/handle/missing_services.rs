// The handler wants `Prices`, but the aggregate never said `services = Prices`.
use eventwright::{Aggregate, Apply, Command, Context, Event, HandleWith, Rejection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Reserved {}

pub struct Prices;

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
    async fn handle(&self, _: &Reserve, _: Context<'_, Prices>) -> Result<Vec<Reserved>, Rejection> {
        Ok(vec![Reserved {}])
    }
}

fn main() {}
