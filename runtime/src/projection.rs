//! Projections: query-shaped read models kept up to date from events.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::event::{Event, EventEnvelope};
use crate::schema::TableSchema;

/// A read model: one row type, the events it consumes, and how each event changes a row.
///
/// Implemented by `#[derive(Projection)]`, which routes each event kind to a [`Project`] impl.
/// A projection must decide every event kind it consumes: a kind without a `Project` impl is a
/// compile error naming the kind and the projection.
pub trait Projection: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The projection's name; its checkpoint is kept under this name.
    const NAME: &'static str;
    /// The row's table.
    const SCHEMA: TableSchema;
    /// The events this projection consumes.
    type Event: Event;

    /// The key of the row an event changes.
    fn row_key(event: &Self::Event, envelope: &EventEnvelope) -> Value;

    /// The change an event makes to its row (`None` when there is no row yet).
    fn project_event(
        row: Option<Self>,
        event: &Self::Event,
        envelope: &EventEnvelope,
    ) -> Change<Self>;
}

/// How one kind of event changes a projection's row.
pub trait Project<E>: Sized {
    /// The key of the row the event changes: by default, the id of the aggregate that recorded it.
    fn key(event: &E, envelope: &EventEnvelope) -> Value {
        let _ = event;
        Value::String(envelope.aggregate_id.clone())
    }

    fn project(row: Option<Self>, event: &E, envelope: &EventEnvelope) -> Change<Self>;
}

/// What an event does to a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<T> {
    /// Nothing changes (an ignored event, or no row to change).
    Keep,
    /// The row is written as given.
    Upsert(T),
    /// The row is removed.
    Delete,
}
