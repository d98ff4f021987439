//! The contenders: each runs the same commands on its own tables.

pub mod cqrs;
pub mod http;
pub mod ours;
pub mod raw;
pub mod raw_http;

use async_trait::async_trait;

use crate::workload::Target;

#[async_trait]
pub trait Contender: Send + Sync {
    fn name(&self) -> &'static str;
    /// `postgres` or `sqlite`.
    fn store(&self) -> &'static str;
    /// Writes `aggregates` aggregates `h-0`, `h-1`, ... with `history` events each.
    async fn preload(&self, aggregates: usize, history: u64) -> anyhow::Result<()>;
    /// One command, acknowledged once its event is committed.
    async fn command(&self, target: &Target) -> anyhow::Result<()>;
}

/// The payload every contender writes: `{"to": n}`.
pub fn payload(to: u64) -> serde_json::Value {
    serde_json::json!({ "to": to })
}

/// A preloaded aggregate's events, as eventwright stores them.
pub fn history(id: &str, events: u64) -> Vec<eventwright::NewEvent> {
    (1..=events)
        .map(|sequence| eventwright::NewEvent {
            event_id: uuid::Uuid::now_v7(),
            aggregate_type: "Counter".to_owned(),
            aggregate_id: id.to_owned(),
            sequence,
            event_type: "Bumped".to_owned(),
            event_version: 1,
            timestamp: chrono::Utc::now(),
            metadata: eventwright::Metadata::default(),
            payload: payload(sequence),
            tags: Vec::new(),
        })
        .collect()
}

/// Writes the preloaded aggregates `h-0`, `h-1`, ... through eventwright's event store, each with
/// the snapshot the dispatcher itself takes every 100 events.
pub async fn preload_eventwright(
    events: &dyn eventwright::store::EventStore,
    aggregates: usize,
    events_each: u64,
) -> anyhow::Result<()> {
    for aggregate in 0..aggregates {
        let id = format!("h-{aggregate}");
        events.append(history(&id, events_each)).await?;
        let snapshot = eventwright::store::Snapshot {
            sequence: events_each,
            state: serde_json::json!({ "value": events_each }),
        };
        events.save_snapshot("Counter", &id, snapshot).await?;
    }
    Ok(())
}
