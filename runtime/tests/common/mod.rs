//! A small domain shared by the store tests: a counter aggregate and a projection that counts
//! the events it has applied, so applying one twice would show.

// Each test binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

pub mod clinic;
pub mod conditional_append;
pub mod consistency;
pub mod decisions;
pub mod facts;
pub mod finds;
pub mod group_commit;
pub mod joins;
pub mod library;
pub mod load;
pub mod log;
pub mod log_batches;
pub mod metadata;
#[cfg(feature = "personal")]
pub mod personal;
pub mod rebuild;
pub mod relay;
pub mod rows_where;
pub mod sent_commands;
pub mod sequence_marks;
pub mod services;
pub mod shapes;
pub mod snapshots;
pub mod state_stored;
pub mod warehouse;
pub mod watches;
pub mod workflows;

// Unused by the binaries that inject no fault.
#[allow(unused_imports)]
pub use load::*;
#[allow(unused_imports)]
pub use services::*;

use eventwright::{
    Aggregate, Apply, Change, Command, Event, EventEnvelope, Handle, Metadata, NewEvent, Project,
    Projection, Rejection,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = CounterEvent, snapshot_every = 100)]
pub struct Counter {
    pub value: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Command)]
#[command(aggregate = Counter, creates)]
pub struct Start {
    #[command(id)]
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Command)]
#[command(aggregate = Counter, retries = 1000)]
pub struct Bump {
    #[command(id)]
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Command)]
#[command(aggregate = Counter, retries = 0)]
pub struct BumpOnce {
    #[command(id)]
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Started {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bumped {
    pub to: i64,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum CounterEvent {
    Started(Started),
    Bumped(Bumped),
}

impl Apply<Started> for Counter {
    fn apply(&mut self, _: &Started) {}
}

impl Apply<Bumped> for Counter {
    fn apply(&mut self, event: &Bumped) {
        self.value = event.to;
    }
}

impl Handle<Start> for Counter {
    fn handle(&self, _: &Start) -> Result<Vec<CounterEvent>, Rejection> {
        Ok(vec![Started {}.into()])
    }
}

impl Handle<Bump> for Counter {
    fn handle(&self, _: &Bump) -> Result<Vec<CounterEvent>, Rejection> {
        Ok(vec![Bumped { to: self.value + 1 }.into()])
    }
}

impl Handle<BumpOnce> for Counter {
    fn handle(&self, _: &BumpOnce) -> Result<Vec<CounterEvent>, Rejection> {
        Ok(vec![Bumped { to: self.value + 1 }.into()])
    }
}

/// Counts the events it has seen per counter: applying one twice would show.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = CounterEvent, key = id)]
pub struct Tally {
    pub id: String,
    #[projection(index)]
    pub events: i64,
    #[projection(index)]
    pub last: i64,
}

impl Project<Started> for Tally {
    fn project(row: Option<Self>, _: &Started, envelope: &EventEnvelope) -> Change<Self> {
        let mut row = row.unwrap_or_else(|| Tally {
            id: envelope.aggregate_id.clone(),
            ..Tally::default()
        });
        row.events += 1;
        Change::Upsert(row)
    }
}

impl Project<Bumped> for Tally {
    fn project(row: Option<Self>, event: &Bumped, _: &EventEnvelope) -> Change<Self> {
        match row {
            Some(mut row) => {
                row.events += 1;
                row.last = event.to;
                Change::Upsert(row)
            }
            None => Change::Keep,
        }
    }
}

pub fn new_event(aggregate_id: &str, sequence: u64) -> NewEvent {
    NewEvent {
        event_id: uuid::Uuid::now_v7(),
        aggregate_type: "Counter".to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        sequence,
        event_type: "Started".to_owned(),
        event_version: 1,
        timestamp: chrono::Utc::now(),
        metadata: Metadata::default(),
        payload: json!({}),
        tags: Vec::new(),
    }
}

/// One row counting every event of every counter: events of many aggregates feed it, so
/// appliers running at once must take turns on it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = CounterEvent, key = name)]
pub struct Total {
    pub name: String,
    pub events: i64,
}

impl Total {
    fn counted(row: Option<Self>) -> Change<Self> {
        let mut row = row.unwrap_or_else(|| Total {
            name: "all".to_owned(),
            events: 0,
        });
        row.events += 1;
        Change::Upsert(row)
    }
}

impl Project<Started> for Total {
    fn key(_: &Started, _: &EventEnvelope) -> serde_json::Value {
        json!("all")
    }

    fn project(row: Option<Self>, _: &Started, _: &EventEnvelope) -> Change<Self> {
        Total::counted(row)
    }
}

impl Project<Bumped> for Total {
    fn key(_: &Bumped, _: &EventEnvelope) -> serde_json::Value {
        json!("all")
    }

    fn project(row: Option<Self>, _: &Bumped, _: &EventEnvelope) -> Change<Self> {
        Total::counted(row)
    }
}

/// An event as read from the log at `cursor`, for tests that apply rows by hand.
pub fn log_entry(cursor: eventwright::store::Cursor) -> eventwright::store::LogEntry {
    eventwright::store::LogEntry {
        cursor,
        envelope: EventEnvelope::from_new(new_event("c", cursor.position), cursor.position),
    }
}

/// What each counter `c0..` Tally row must hold once every event of `log` is applied:
/// (events, last value).
pub fn folded_tallies(
    log: &[eventwright::store::LogEntry],
    counters: usize,
) -> Vec<Option<(serde_json::Value, serde_json::Value)>> {
    (0..counters)
        .map(|n| {
            let id = format!("c{n}");
            let mine = log.iter().filter(|e| e.envelope.aggregate_id == id).count();
            Some((json!(mine), json!(mine - 1)))
        })
        .collect()
}

/// Each counter `c0..`'s Tally row as (events, last value); a row the store cannot read now
/// counts as missing, so callers can poll through an outage.
pub async fn tallies(
    read: &dyn eventwright::store::ReadStore,
    counters: usize,
) -> Vec<Option<(serde_json::Value, serde_json::Value)>> {
    let mut rows = Vec::new();
    for n in 0..counters {
        let row = read
            .get(&Tally::SCHEMA, &json!(format!("c{n}")))
            .await
            .ok()
            .flatten();
        rows.push(row.map(|row| (row["events"].clone(), row["last"].clone())));
    }
    rows
}
