// An enum of commands holds one command struct per newtype variant, and takes no options itself.

use eventwright::Command;

pub struct Open {}
pub struct Close {}

#[derive(Command)]
#[command(aggregate = Account)]
pub enum AccountCommand {
    Open(Open),
    #[command(id)]
    Close(Close),
    Again(Open),
    Freeze { reason: String },
    Thaw,
}

#[derive(Command)]
pub enum Nothing {}

fn main() {}
