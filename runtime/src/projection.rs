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
///
/// `#[derive(Projection)]` requires one impl per kind of its event type, or the kind listed in
/// `#[projection(ignore(..))]`: adding a kind to the event enum is a compile error until every
/// projection decides.
#[diagnostic::on_unimplemented(
    message = "projection `{Self}` does not decide `{E}` events",
    label = "`{E}` is a kind of this event type, and `{Self}` neither projects nor ignores it",
    note = "add `impl eventwright::Project<{E}> for {Self}`, or list the kind in `#[projection(ignore({E}))]`"
)]
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

/// The row key for a projection keyed by an integer aggregate id: the id's number, as stored
/// (aggregate ids travel as text in the envelope).
pub fn numeric_id_key(envelope: &EventEnvelope) -> Value {
    envelope.aggregate_id.parse::<i64>().map_or_else(
        |_| Value::String(envelope.aggregate_id.clone()),
        Value::from,
    )
}
