// A kind held by two event types, and a kind from another crate: each a kind of every event
// type that holds it, with a projection of each.

use eventwright::{Change, Event, EventEnvelope, Project, Projection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Noted {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum BookEvent {
    Noted(Noted),
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum MemberEvent {
    Noted(Noted),
    // A type of another crate.
    Imported(serde_json::Value),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = BookEvent, key = book_id)]
pub struct BookNotes {
    pub book_id: String,
    pub notes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = MemberEvent, key = member_id, ignore(serde_json::Value))]
pub struct MemberNotes {
    pub member_id: String,
    pub notes: u32,
}

impl Project<Noted> for BookNotes {
    fn project(row: Option<Self>, _: &Noted, envelope: &EventEnvelope) -> Change<Self> {
        let notes = row.map_or(0, |row| row.notes);
        Change::Upsert(BookNotes { book_id: envelope.aggregate_id.clone(), notes: notes + 1 })
    }
}

impl Project<Noted> for MemberNotes {
    fn project(row: Option<Self>, _: &Noted, envelope: &EventEnvelope) -> Change<Self> {
        let notes = row.map_or(0, |row| row.notes);
        Change::Upsert(MemberNotes { member_id: envelope.aggregate_id.clone(), notes: notes + 1 })
    }
}

fn main() {
    let noted = Noted { text: "worn cover".into() };
    assert_eq!(BookEvent::from(noted.clone()).event_type(), "Noted");
    assert_eq!(MemberEvent::from(noted).event_type(), "Noted");
    assert_eq!(MemberEvent::NAMES, ["Noted", "Imported"]);
}
