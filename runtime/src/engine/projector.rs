//! A projection with its types erased, so an engine can run several: how an event becomes a
//! change to the read store, inside the store's transaction.

use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use tracing::Instrument;

use super::feed::FeedError;
use super::joins::JoinReader;
use crate::event::{DecodeError, EventEnvelope};
use crate::projection::{Change, Joined, Projection, Rows};
use crate::store::generation::AtGeneration;
use crate::store::{Decide, Mark, ReadStore, RowChange, StoreError, Target, Update};
use crate::table::TableSchema;
use crate::trace_context;

/// A projection with its types erased, so an engine can hold several.
#[async_trait]
pub trait Projector: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn schema(&self) -> &'static TableSchema<'static>;
    /// The projections it copies rows from ([`Projection::READS`]).
    fn reads(&self) -> &'static [&'static str];

    /// Applies one event to the read store, unless `mark` shows it was applied already; returns
    /// whether it was.
    async fn handle(
        &self,
        store: &AtGeneration,
        envelope: &EventEnvelope,
        mark: Mark<'_>,
    ) -> Result<bool, ProjectionError>;

    /// Applies several events, in order, in one read-store transaction
    /// ([`ReadStore::update_many`]), each as [`handle`](Self::handle) would. If it fails,
    /// nothing is written: [`handle`](Self::handle) them one by one to find the event at fault.
    async fn handle_many(
        &self,
        store: &AtGeneration,
        events: &[(&EventEnvelope, Mark<'_>)],
    ) -> Result<(), ProjectionError>;
}

/// A projection failed to apply an event. The engine retries it, and sets it aside only where
/// its feed can (see [`crate::engine`]).
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Feed(#[from] FeedError),
    /// A delivery that is not an event, from a feed with nowhere to set it aside.
    #[error("{0}")]
    Undeliverable(String),
    /// A projection joined rows of one its `#[projection(reads(..))]` does not list.
    #[error(
        "{projection} joins rows of {joined}, which its `#[projection(reads(..))]` does not list"
    )]
    UndeclaredJoin {
        projection: &'static str,
        joined: &'static str,
    },
    /// A projection it joins has not caught up with the event yet.
    #[error(
        "{projection} waits for {joined} to catch up with the event it joins ({waited:?} so far)"
    )]
    JoinBehind {
        projection: &'static str,
        joined: &'static str,
        waited: std::time::Duration,
    },
}

impl ProjectionError {
    /// Whether retrying can never help: the event does not decode, or the projection cannot
    /// apply it to the row it finds. Anything else (a store or broker that is down) may pass.
    pub fn is_poison(&self) -> bool {
        matches!(
            self,
            ProjectionError::Decode(_)
                | ProjectionError::Store(StoreError::Corrupt(_))
                | ProjectionError::UndeclaredJoin { .. }
        )
    }
}

struct Typed<P>(PhantomData<fn() -> P>);

/// The [`Projector`] for a typed projection.
pub fn projector<P: Projection>() -> Arc<dyn Projector> {
    Arc::new(Typed::<P>(PhantomData))
}

#[async_trait]
impl<P: Projection> Projector for Typed<P> {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn schema(&self) -> &'static TableSchema<'static> {
        &P::SCHEMA
    }

    fn reads(&self) -> &'static [&'static str] {
        P::READS
    }

    async fn handle(
        &self,
        store: &AtGeneration,
        envelope: &EventEnvelope,
        mark: Mark<'_>,
    ) -> Result<bool, ProjectionError> {
        apply_one::<P>(store, envelope, mark)
            .instrument(project_span::<P>(std::iter::once(envelope)))
            .await
    }

    async fn handle_many(
        &self,
        store: &AtGeneration,
        events: &[(&EventEnvelope, Mark<'_>)],
    ) -> Result<(), ProjectionError> {
        let envelopes = events.iter().map(|(envelope, _)| *envelope);
        apply_many::<P>(store, events)
            .instrument(project_span::<P>(envelopes))
            .await
    }
}

/// The span `envelopes` are applied in: the projection, how many, and the correlation id of the
/// first (a batch may hold events of several requests). It continues the events' traces.
fn project_span<'a, P: Projection>(
    envelopes: impl ExactSizeIterator<Item = &'a EventEnvelope> + Clone,
) -> tracing::Span {
    let correlation_id = envelopes
        .clone()
        .next()
        .and_then(|envelope| envelope.metadata.correlation_id.as_deref());
    let span = tracing::info_span!(
        "project",
        projection = P::NAME,
        events = envelopes.len(),
        correlation_id
    );
    trace_context::continue_in(
        &span,
        envelopes.map(|envelope| envelope.metadata.traceparent.as_deref()),
    );
    span
}

/// [`Projector::handle`] for `P`.
async fn apply_one<P: Projection>(
    store: &AtGeneration,
    envelope: &EventEnvelope,
    mark: Mark<'_>,
) -> Result<bool, ProjectionError> {
    let Some(event) = envelope.decode::<P::Event>()? else {
        // Not ours. A checkpoint still moves past it, so a restart does not read it again;
        // a per-aggregate mark has nothing to gain from a write.
        if mark.cursor.is_none() {
            return Ok(false);
        }
        let decide: Decide<'_> = Box::new(|_| Ok(RowChange::None));
        return Ok(store
            .update(&P::SCHEMA, P::NAME, mark, None, decide)
            .await?);
    };
    let mut joins = JoinReader::new(store, P::NAME, &P::SCHEMA, P::READS);
    let joined = joined::<P>(&mut joins, &event, envelope, mark).await?;
    let applied = match P::changed_rows(&event, envelope) {
        Rows::Key(key) => {
            let decide = decider::<P>(event, envelope, joined, Some(key.clone()));
            store
                .update(&P::SCHEMA, P::NAME, mark, Some(&key), decide)
                .await?
        }
        Rows::Where { column, value } => {
            let decide = decider::<P>(event, envelope, joined, None);
            store
                .update_where(&P::SCHEMA, P::NAME, mark, column, &value, decide)
                .await?
        }
    };
    if applied {
        record_applied::<P>(envelope);
    }
    Ok(applied)
}

/// [`Projector::handle_many`] for `P`.
async fn apply_many<P: Projection>(
    store: &AtGeneration,
    events: &[(&EventEnvelope, Mark<'_>)],
) -> Result<(), ProjectionError> {
    let mut joins = JoinReader::new(store, P::NAME, &P::SCHEMA, P::READS);
    let mut updates = Vec::with_capacity(events.len());
    // For each update, its event when it is one this projection consumes.
    let mut consumed = Vec::with_capacity(events.len());
    for (envelope, mark) in events {
        match envelope.decode::<P::Event>()? {
            Some(event) => {
                let joined = joined::<P>(&mut joins, &event, envelope, *mark).await?;
                joins.handles(envelope, *mark);
                let (target, key) = match P::changed_rows(&event, envelope) {
                    Rows::Key(key) => (Target::Key(key.clone()), Some(key)),
                    Rows::Where { column, value } => (Target::Where { column, value }, None),
                };
                updates.push(Update {
                    mark: *mark,
                    target,
                    decide: decider::<P>(event, envelope, joined, key),
                });
                consumed.push(Some(*envelope));
            }
            // Not ours: a checkpoint moves past it; a per-aggregate mark needs no write.
            None if mark.cursor.is_some() => {
                updates.push(Update {
                    mark: *mark,
                    target: Target::Unread,
                    decide: Box::new(|_| Ok(RowChange::None)),
                });
                consumed.push(None);
            }
            None => {}
        }
    }
    commit_many::<P>(store, updates, consumed).await
}

/// The rows `event` joins, read once their projections have caught up with it.
async fn joined<P: Projection>(
    joins: &mut JoinReader<'_>,
    event: &P::Event,
    envelope: &EventEnvelope,
    mark: Mark<'_>,
) -> Result<Joined, ProjectionError> {
    let wanted = P::joins(event, envelope);
    if wanted.is_empty() {
        return Ok(Joined::none());
    }
    joins.read(&wanted, envelope, mark).await
}

/// Writes `updates` in one transaction, counting each applied event it consumed.
async fn commit_many<P: Projection>(
    store: &dyn ReadStore,
    updates: Vec<Update<'_>>,
    consumed: Vec<Option<&EventEnvelope>>,
) -> Result<(), ProjectionError> {
    if updates.is_empty() {
        return Ok(());
    }
    let applied = store.update_many(&P::SCHEMA, P::NAME, updates).await?;
    for (applied, envelope) in applied.into_iter().zip(consumed) {
        if let (true, Some(envelope)) = (applied, envelope) {
            record_applied::<P>(envelope);
        }
    }
    Ok(())
}

/// How `event` changes its row, decided inside the store's transaction on the row as it is then:
/// the row under `key`, or each row holding a value (deleted by its own key).
fn decider<'a, P: Projection>(
    event: P::Event,
    envelope: &'a EventEnvelope,
    joined: Joined,
    key: Option<Value>,
) -> Decide<'a> {
    Box::new(move |row| {
        let own_key = row.as_ref().and_then(|row| row.get(P::SCHEMA.key).cloned());
        let row = row
            .map(|row| serde_json::from_value::<P>(Value::Object(row)))
            .transpose()
            .map_err(|e| row_error::<P>(&e.to_string()))?;
        Ok(match P::project_event(row, &event, envelope, &joined) {
            Change::Keep => RowChange::None,
            Change::Delete => match key.clone().or(own_key) {
                Some(key) => RowChange::Delete(key),
                None => RowChange::None,
            },
            Change::Upsert(row) => match serde_json::to_value(&row) {
                Ok(Value::Object(row)) => RowChange::Upsert(row),
                Ok(other) => {
                    return Err(row_error::<P>(&format!(
                        "a row must serialize to an object, not {other}"
                    )));
                }
                Err(e) => return Err(row_error::<P>(&e.to_string())),
            },
        })
    })
}

/// Counts an applied event, and how far behind the write side the projection runs as of it.
fn record_applied<P: Projection>(envelope: &EventEnvelope) {
    let lag = (chrono::Utc::now() - envelope.timestamp).as_seconds_f64();
    metrics::counter!("eventwright_projection_events_total", "projection" => P::NAME).increment(1);
    metrics::gauge!("eventwright_projection_lag_seconds", "projection" => P::NAME)
        .set(lag.max(0.0));
}

fn row_error<P: Projection>(reason: &str) -> String {
    format!("row of {} does not match its type: {reason}", P::NAME)
}
