use eventwright::decision::{Changes, Decide, Read};
use eventwright::{Aggregate, Apply, Decision, DispatchError, Event};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
pub struct Opened {}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Opened)]
pub struct Account {}

impl Apply<Opened> for Account {
    fn apply(&mut self, _: &Opened) {}
}

#[derive(Decision)]
#[decision(nmae = "transfer", retries = "many")]
pub struct Misspelled {
    #[decision(read = Account)]
    pub from: String,
    #[decision(reads = Account, reads = Account)]
    pub to: String,
    #[decision(fact = Account, fact = Account, fakt = Account, tag = "limit")]
    pub limit: String,
    #[decision(tag = limit)]
    pub limit_again: String,
    #[decision(fact(Account, tg = limit), fact(Account, tag = limit))]
    pub limit_too: String,
}

impl Decide for Misspelled {
    fn decide(&self, _: &Read, _: &mut Changes) -> Result<(), DispatchError> {
        Ok(())
    }
}

#[derive(Decision)]
pub struct ReadsNothing {
    pub from: String,
}

impl Decide for ReadsNothing {
    fn decide(&self, _: &Read, _: &mut Changes) -> Result<(), DispatchError> {
        Ok(())
    }
}

#[derive(Decision)]
pub enum NotAStruct {
    Transfer,
}

fn main() {}
