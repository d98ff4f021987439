//! Keeps projections up to date: checkpointed, idempotent, catching up from the beginning.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::bus::{BusError, EventBus};
use crate::event::DecodeError;
use crate::event::EventEnvelope;
use crate::projection::{Change, Projection};
use crate::rebuild::{DEFAULT_GRACE, Marks, Rebuild, RebuildError};
use crate::schema::TableSchema;
use crate::store::generation::AtGeneration;
use crate::store::{
    Cursor, Decide, EventStore, LogEntry, Mark, ReadStore, RowChange, StoreError, Update,
};
use crate::trace_context;

/// A projection with its types erased, so a runner can hold several.
#[async_trait]
pub trait Projector: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn schema(&self) -> &'static TableSchema;

    /// Applies one event to the read store, unless `mark` shows it was applied already; returns
    /// whether it was.
    async fn handle(
        &self,
        store: &dyn ReadStore,
        envelope: &EventEnvelope,
        mark: Mark<'_>,
    ) -> Result<bool, ProjectionError>;

    /// Applies several events, in order, in one read-store transaction
    /// ([`ReadStore::update_many`]), each as [`handle`](Self::handle) would. If it fails,
    /// nothing is written: [`handle`](Self::handle) them one by one to find the event at fault.
    async fn handle_many(
        &self,
        store: &dyn ReadStore,
        events: &[(&EventEnvelope, Mark<'_>)],
    ) -> Result<(), ProjectionError>;
}

/// Applies `entries` read from the log: together, or one by one when that fails, so an event at
/// fault fails alone.
async fn apply_log(
    projector: &dyn Projector,
    store: &dyn ReadStore,
    entries: &[LogEntry],
) -> Result<(), ProjectionError> {
    let events: Vec<_> = entries
        .iter()
        .map(|entry| (&entry.envelope, Mark::in_log(&entry.envelope, entry.cursor)))
        .collect();
    if projector.handle_many(store, &events).await.is_ok() {
        return Ok(());
    }
    for (envelope, mark) in events {
        projector.handle(store, envelope, mark).await?;
    }
    Ok(())
}

/// A projection failed to apply an event. The runner retries it; it never skips it.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bus(#[from] BusError),
}

impl ProjectionError {
    /// Whether retrying can never help: the event does not decode, or the projection cannot
    /// apply it to the row it finds. Anything else (a store or broker that is down) may pass.
    pub fn is_poison(&self) -> bool {
        matches!(
            self,
            ProjectionError::Decode(_) | ProjectionError::Store(StoreError::Corrupt(_))
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

    fn schema(&self) -> &'static TableSchema {
        &P::SCHEMA
    }

    async fn handle(
        &self,
        store: &dyn ReadStore,
        envelope: &EventEnvelope,
        mark: Mark<'_>,
    ) -> Result<bool, ProjectionError> {
        apply_one::<P>(store, envelope, mark)
            .instrument(project_span::<P>(std::iter::once(envelope)))
            .await
    }

    async fn handle_many(
        &self,
        store: &dyn ReadStore,
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
    store: &dyn ReadStore,
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
    let key = P::row_key(&event, envelope);
    let decide = decider::<P>(event, envelope, key.clone());
    let applied = store
        .update(&P::SCHEMA, P::NAME, mark, Some(&key), decide)
        .await?;
    if applied {
        record_applied::<P>(envelope);
    }
    Ok(applied)
}

/// [`Projector::handle_many`] for `P`.
async fn apply_many<P: Projection>(
    store: &dyn ReadStore,
    events: &[(&EventEnvelope, Mark<'_>)],
) -> Result<(), ProjectionError> {
    let mut updates = Vec::with_capacity(events.len());
    // For each update, its event when it is one this projection consumes.
    let mut consumed = Vec::with_capacity(events.len());
    for (envelope, mark) in events {
        match envelope.decode::<P::Event>()? {
            Some(event) => {
                let key = P::row_key(&event, envelope);
                updates.push(Update {
                    mark: *mark,
                    key: Some(key.clone()),
                    decide: decider::<P>(event, envelope, key),
                });
                consumed.push(Some(*envelope));
            }
            // Not ours: a checkpoint moves past it; a per-aggregate mark needs no write.
            None if mark.cursor.is_some() => {
                updates.push(Update {
                    mark: *mark,
                    key: None,
                    decide: Box::new(|_| Ok(RowChange::None)),
                });
                consumed.push(None);
            }
            None => {}
        }
    }
    let applied = store.update_many(&P::SCHEMA, P::NAME, updates).await?;
    for (applied, envelope) in applied.into_iter().zip(consumed) {
        if let (true, Some(envelope)) = (applied, envelope) {
            record_applied::<P>(envelope);
        }
    }
    Ok(())
}

/// How `event` changes its row, decided inside the store's transaction on the row as it is then.
fn decider<'a, P: Projection>(
    event: P::Event,
    envelope: &'a EventEnvelope,
    key: Value,
) -> Decide<'a> {
    Box::new(move |row| {
        let row = row
            .map(|row| serde_json::from_value::<P>(Value::Object(row)))
            .transpose()
            .map_err(|e| row_error::<P>(&e.to_string()))?;
        Ok(match P::project_event(row, &event, envelope) {
            Change::Keep => RowChange::None,
            Change::Delete => RowChange::Delete(key.clone()),
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

/// Runs every projection of a service, each in its own task from its own checkpoint.
#[derive(Clone)]
pub struct ProjectionRunner {
    store: Arc<dyn ReadStore>,
    bus: Arc<dyn EventBus>,
    projectors: Vec<Arc<dyn Projector>>,
    retry_delay: Duration,
}

impl std::fmt::Debug for ProjectionRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.projectors.iter().map(|p| p.name()).collect();
        f.debug_struct("ProjectionRunner")
            .field("projections", &names)
            .finish_non_exhaustive()
    }
}

impl ProjectionRunner {
    pub fn new(store: Arc<dyn ReadStore>, bus: Arc<dyn EventBus>) -> Self {
        Self {
            store,
            bus,
            projectors: Vec::new(),
            retry_delay: Duration::from_secs(1),
        }
    }

    /// Adds a projection.
    pub fn with<P: Projection>(mut self) -> Self {
        self.projectors.push(projector::<P>());
        self
    }

    /// How long to wait before retrying an event that failed to apply.
    pub fn with_retry_delay(mut self, retry_delay: Duration) -> Self {
        self.retry_delay = retry_delay;
        self
    }

    /// Creates the shared tables and each projection's table in its active generation.
    pub async fn prepare(&self) -> Result<(), StoreError> {
        prepare_active(&self.store, &self.projectors).await
    }

    /// A rebuild of the projection named `name`, replaying `events`, with the default grace
    /// period; `marks` says how the service's projectors mark events (per aggregate when a
    /// broker feeds them).
    pub fn rebuild(
        &self,
        events: Arc<dyn EventStore>,
        name: &str,
        marks: Marks,
    ) -> Result<Rebuild, RebuildError> {
        let projector = self
            .projectors
            .iter()
            .find(|projector| projector.name() == name)
            .ok_or_else(|| RebuildError::UnknownProjection {
                name: name.to_owned(),
                known: self
                    .projectors
                    .iter()
                    .map(|projector| projector.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Ok(Rebuild {
            events,
            read: Arc::clone(&self.store),
            projector: Arc::clone(projector),
            marks,
            grace: DEFAULT_GRACE,
        })
    }

    /// Where each projection stands: its active generation and its checkpoint there.
    pub async fn positions(&self) -> Result<Vec<Position>, StoreError> {
        let mut positions = Vec::with_capacity(self.projectors.len());
        for projector in &self.projectors {
            let name = projector.name();
            let generation = self.store.active(name).await?;
            let checkpoint = AtGeneration::new(Arc::clone(&self.store), generation)
                .checkpoint(name)
                .await?;
            positions.push(Position {
                projection: name,
                generation,
                checkpoint,
            });
        }
        Ok(positions)
    }

    /// Applies, synchronously, every event the store holds now. For tests and tools; a service
    /// uses [`spawn`](Self::spawn).
    pub async fn catch_up(&self, events: &dyn EventStore) -> Result<(), ProjectionError> {
        for projector in &self.projectors {
            let generation = self.store.active(projector.name()).await?;
            let target = AtGeneration::new(Arc::clone(&self.store), generation);
            let mut cursor = target.checkpoint(projector.name()).await?;
            loop {
                let batch = events.read_all(cursor, 512).await?;
                let Some(last) = batch.last() else { break };
                cursor = last.cursor;
                apply_log(projector.as_ref(), &target, &batch).await?;
            }
        }
        Ok(())
    }

    /// Starts one task per projection. The events a task reads together from the log (up to
    /// a few hundred, when it has fallen behind) are applied in one read-store transaction, so
    /// a projection catches up faster the further behind it is. A failing event is retried
    /// until it applies: a projection stops advancing rather than skip an event.
    pub fn spawn(&self) -> Vec<JoinHandle<()>> {
        self.projectors
            .iter()
            .map(|projector| {
                let projector = Arc::clone(projector);
                let store = Arc::clone(&self.store);
                let bus = Arc::clone(&self.bus);
                let retry_delay = self.retry_delay;
                tokio::spawn(async move {
                    loop {
                        match run(projector.as_ref(), &store, bus.as_ref()).await {
                            Ok(generation) => {
                                tracing::info!(projection = projector.name(), generation, "switching to a rebuilt generation");
                            }
                            Err(error) => {
                                tracing::error!(projection = projector.name(), %error, "projection failed; retrying");
                                tokio::time::sleep(retry_delay).await;
                            }
                        }
                    }
                })
            })
            .collect()
    }
}

/// Keeps one projection's active generation up to date; returns the generation that became
/// active instead, when a rebuild switches it.
async fn run(
    projector: &dyn Projector,
    store: &Arc<dyn ReadStore>,
    bus: &dyn EventBus,
) -> Result<u64, ProjectionError> {
    let name = projector.name();
    let generation = store.active(name).await?;
    let target = AtGeneration::new(Arc::clone(store), generation);
    let checkpoint = target.checkpoint(name).await?;
    let mut subscription = bus.subscribe(name, checkpoint).await?;
    loop {
        let batch = subscription.next_batch().await?;
        // A switched projector stops writing the old generation before its next batch; what it
        // wrote there meanwhile is dropped with it.
        let active = store.active(name).await?;
        if active != generation {
            return Ok(active);
        }
        apply_log(projector, &target, &batch).await?;
    }
}

/// Where a projection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub projection: &'static str,
    /// The generation queries read: 0 until the projection's first rebuild.
    pub generation: u64,
    /// The cursor of the last event the generation applied, when it is fed from the log.
    pub checkpoint: Cursor,
}

/// Creates the shared tables and each projection's table in its active generation.
pub(crate) async fn prepare_active(
    store: &Arc<dyn ReadStore>,
    projectors: &[Arc<dyn Projector>],
) -> Result<(), StoreError> {
    store.prepare_bookkeeping().await?;
    for projector in projectors {
        let generation = store.active(projector.name()).await?;
        AtGeneration::new(Arc::clone(store), generation)
            .prepare(projector.schema())
            .await?;
    }
    Ok(())
}
