//! The library's loans, as the read side keeps them: one row per loan, listed by member and by
//! due date, and renamed when its member is.

use chrono::NaiveDate;
use eventwright::projection::Rows;
use eventwright::store::Cursor;
use eventwright::{Change, Event, EventEnvelope, Metadata, NewEvent, Project, Projection};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoanOpened {
    pub member_id: String,
    pub title: String,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum LoanEvent {
    LoanOpened(LoanOpened),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRenamed {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum MemberEvent {
    MemberRenamed(MemberRenamed),
}

/// A loan, with its member's name: fed by the loans' events and, through a lookup of the
/// member's rows, by the members'.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(
    events(LoanEvent, MemberEvent),
    key = loan_id,
    name = "loans",
    index(member_id, order = due_on)
)]
pub struct Loan {
    pub loan_id: String,
    #[projection(index)]
    pub member_id: String,
    pub member_name: String,
    pub title: String,
    pub due_on: NaiveDate,
}

impl Project<LoanOpened> for Loan {
    fn project(_: Option<Self>, event: &LoanOpened, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(opened(event, envelope))
    }
}

impl Project<MemberRenamed> for Loan {
    fn rows(_: &MemberRenamed, envelope: &EventEnvelope) -> Rows {
        Rows::Where {
            column: "member_id",
            value: json!(envelope.aggregate_id),
        }
    }

    fn project(row: Option<Self>, event: &MemberRenamed, _: &EventEnvelope) -> Change<Self> {
        match row {
            Some(loan) => Change::Upsert(Loan {
                member_name: event.name.clone(),
                ..loan
            }),
            None => Change::Keep,
        }
    }
}

/// The same rows from the loans' events alone: what a projection of one aggregate costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(
    event = LoanEvent,
    key = loan_id,
    name = "loans_alone",
    index(member_id, order = due_on)
)]
pub struct LoanAlone {
    pub loan_id: String,
    #[projection(index)]
    pub member_id: String,
    pub member_name: String,
    pub title: String,
    pub due_on: NaiveDate,
}

impl Project<LoanOpened> for LoanAlone {
    fn project(_: Option<Self>, event: &LoanOpened, envelope: &EventEnvelope) -> Change<Self> {
        let loan = opened(event, envelope);
        Change::Upsert(LoanAlone {
            loan_id: loan.loan_id,
            member_id: loan.member_id,
            member_name: loan.member_name,
            title: loan.title,
            due_on: loan.due_on,
        })
    }
}

fn opened(event: &LoanOpened, envelope: &EventEnvelope) -> Loan {
    Loan {
        loan_id: envelope.aggregate_id.clone(),
        member_id: event.member_id.clone(),
        member_name: String::new(),
        title: event.title.clone(),
        due_on: event.due_on,
    }
}

/// Where loan `n` stands among `members`: its id, its member and when it is due. Loans are
/// spread over the members round-robin and over a year of due dates.
pub struct Library {
    pub members: usize,
}

impl Library {
    pub fn loan_id(&self, n: usize) -> String {
        format!("loan-{n:07}")
    }

    pub fn member_id(&self, n: usize) -> String {
        format!("member-{:06}", n % self.members)
    }

    pub fn due_on(&self, n: usize) -> NaiveDate {
        let first = NaiveDate::from_ymd_opt(2027, 1, 1).expect("a date");
        first + chrono::Days::new(((n / self.members) * 37 % 365) as u64)
    }

    pub fn opened(&self, n: usize) -> LoanOpened {
        LoanOpened {
            member_id: self.member_id(n),
            title: format!("Title {}", n % 5_000),
            due_on: self.due_on(n),
        }
    }
}

/// A new event of `aggregate_type` `aggregate_id`, at `sequence`.
pub fn new_event<E: Event>(
    aggregate_type: &str,
    aggregate_id: String,
    sequence: u64,
    event: &E,
) -> NewEvent {
    NewEvent {
        event_id: uuid::Uuid::now_v7(),
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id,
        sequence,
        event_type: event.event_type().to_owned(),
        event_version: event.event_version(),
        timestamp: chrono::Utc::now(),
        metadata: Metadata::default(),
        payload: event.encode().expect("an event encodes"),
        tags: Vec::new(),
    }
}

/// `event` as the log hands it over, at `position`.
pub fn envelope<E: Event>(
    aggregate_id: String,
    position: u64,
    event: &E,
) -> (EventEnvelope, Cursor) {
    let envelope = EventEnvelope::from_new(new_event("Loan", aggregate_id, 1, event), position);
    (
        envelope,
        Cursor {
            transaction: position,
            position: 0,
        },
    )
}
