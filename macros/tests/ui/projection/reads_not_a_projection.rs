// `reads(..)` names the projections whose rows a projection copies: a type that is no
// projection is reported at the type, as listed.
use eventwright::{Change, Event, EventEnvelope, Project, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Lent {
    pub book_id: String,
}

#[derive(Event)]
pub enum LoanEvent {
    Lent(Lent),
}

pub struct BookTitles;

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = LoanEvent, key = loan_id, reads(BookTitles))]
pub struct LoanRow {
    pub loan_id: String,
}

impl Project<Lent> for LoanRow {
    fn project(_: Option<Self>, _: &Lent, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(LoanRow {
            loan_id: envelope.aggregate_id.clone(),
        })
    }
}

fn main() {}
