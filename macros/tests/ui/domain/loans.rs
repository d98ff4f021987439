// A projection over the events of two aggregates: a member's loans, keyed by the member, from
// the member's own events and from the books lent to them.

use eventwright::testing::given_projection;
use eventwright::{Change, Event, EventEnvelope, Project, Projection};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberJoined {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRenamed {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum MemberEvent {
    MemberJoined(MemberJoined),
    MemberRenamed(MemberRenamed),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookRegistered {
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookLent {
    pub member_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookReturned {
    pub member_id: String,
}

/// Stored as `BookLent` v2: v1 called the member `borrower`.
fn lent_v1_to_v2(mut payload: serde_json::Value) -> Result<serde_json::Value, String> {
    let borrower = payload
        .as_object_mut()
        .and_then(|fields| fields.remove("borrower"))
        .ok_or("no `borrower` field")?;
    payload["member_id"] = borrower;
    Ok(payload)
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum BookEvent {
    BookRegistered(BookRegistered),
    #[event(version = 2, upcast(from = 1, with = lent_v1_to_v2))]
    BookLent(BookLent),
    BookReturned(BookReturned),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(events(MemberEvent, BookEvent), key = member_id, ignore(BookRegistered))]
pub struct MemberLoans {
    pub member_id: String,
    pub name: String,
    pub loans: i64,
}

impl MemberLoans {
    fn keyed(row: Option<Self>, member_id: &str) -> Self {
        row.unwrap_or_else(|| MemberLoans {
            member_id: member_id.to_owned(),
            name: String::new(),
            loans: 0,
        })
    }
}

impl Project<MemberJoined> for MemberLoans {
    fn project(row: Option<Self>, event: &MemberJoined, envelope: &EventEnvelope) -> Change<Self> {
        let mut row = Self::keyed(row, &envelope.aggregate_id);
        row.name = event.name.clone();
        Change::Upsert(row)
    }
}

impl Project<MemberRenamed> for MemberLoans {
    fn project(row: Option<Self>, event: &MemberRenamed, envelope: &EventEnvelope) -> Change<Self> {
        let mut row = Self::keyed(row, &envelope.aggregate_id);
        row.name = event.name.clone();
        Change::Upsert(row)
    }
}

// A book's events name the member's row by a field: the book is the aggregate that recorded them.
impl Project<BookLent> for MemberLoans {
    fn key(event: &BookLent, _: &EventEnvelope) -> serde_json::Value {
        json!(event.member_id)
    }

    fn project(row: Option<Self>, event: &BookLent, _: &EventEnvelope) -> Change<Self> {
        let mut row = Self::keyed(row, &event.member_id);
        row.loans += 1;
        Change::Upsert(row)
    }
}

impl Project<BookReturned> for MemberLoans {
    fn key(event: &BookReturned, _: &EventEnvelope) -> serde_json::Value {
        json!(event.member_id)
    }

    fn project(row: Option<Self>, event: &BookReturned, _: &EventEnvelope) -> Change<Self> {
        let mut row = Self::keyed(row, &event.member_id);
        row.loans -= 1;
        Change::Upsert(row)
    }
}

fn row(member_id: &str, name: &str, loans: i64) -> MemberLoans {
    MemberLoans {
        member_id: member_id.to_owned(),
        name: name.to_owned(),
        loans,
    }
}

fn main() {
    type Received = <MemberLoans as Projection>::Event;
    // It receives every kind of both, and decodes each by the type that names it, upcasting
    // as that type does.
    assert_eq!(
        Received::NAMES,
        ["MemberJoined", "MemberRenamed", "BookRegistered", "BookLent", "BookReturned"]
    );
    let lent = Received::decode("BookLent", 1, json!({ "borrower": "ann" })).unwrap().unwrap();
    assert_eq!((lent.event_type(), lent.event_version()), ("BookLent", 2));
    assert_eq!(lent.encode().unwrap(), json!({ "member_id": "ann" }));
    assert!(Received::decode("BookShelved", 1, json!({})).unwrap().is_none());

    given_projection::<MemberLoans>()
        .event("ann", MemberEvent::from(MemberJoined { name: "Ann".into() }))
        .event("dune", BookEvent::from(BookRegistered { title: "Dune".into() }))
        .event("dune", BookEvent::from(BookLent { member_id: "ann".into() }))
        .event("emma", BookEvent::from(BookLent { member_id: "ann".into() }))
        .event("emma", BookEvent::from(BookReturned { member_id: "ann".into() }))
        .event("ann", MemberEvent::from(MemberRenamed { name: "Ann B.".into() }))
        .then_expect_row("ann", row("ann", "Ann B.", 1))
        .then_expect_no_row("dune");
}
