use eventwright::{Aggregate, Apply, Command, Event, Handle, Rejection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Opened)]
pub struct Account {}

impl Apply<Opened> for Account {
    fn apply(&mut self, _: &Opened) {}
}

#[derive(Command)]
#[command(aggregate = Account, creates)]
pub struct Open {
    pub id: String,
}

impl Handle<Open> for Account {
    fn handle(&self, _: &Open) -> Result<Vec<Opened>, Rejection> {
        Ok(vec![Opened {}])
    }
}

pub struct Close {
    pub id: String,
}

#[derive(Command)]
pub enum AccountCommand {
    Open(Open),
    Close(Close),
}

fn main() {}
