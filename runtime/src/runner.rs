//! Keeps projections up to date: checkpointed, idempotent, catching up from the beginning.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::bus::{BusError, EventBus};
use crate::event::DecodeError;
use crate::projection::{Change, Projection};
use crate::schema::TableSchema;
use crate::store::{Cursor, EventStore, LogEntry, ReadStore, RowChange, StoreError};

/// A projection with its types erased, so a runner can hold several.
#[async_trait]
pub trait Projector: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn schema(&self) -> &'static TableSchema;

    /// Applies one event to the read store, unless the checkpoint shows it was applied already.
    async fn handle(&self, store: &dyn ReadStore, entry: &LogEntry) -> Result<(), ProjectionError>;
}

/// A projection failed to apply an event. The runner retries it; it never skips it.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("row of {projection} does not match its type: {reason}")]
    Row {
        projection: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bus(#[from] BusError),
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

    async fn handle(&self, store: &dyn ReadStore, entry: &LogEntry) -> Result<(), ProjectionError> {
        let LogEntry { cursor, envelope } = entry;
        let row_error = |reason: String| ProjectionError::Row {
            projection: P::NAME,
            reason,
        };
        let Some(event) = envelope.decode::<P::Event>()? else {
            // Not ours; move the checkpoint past it so a restart does not look at it again.
            store
                .apply(&P::SCHEMA, P::NAME, *cursor, RowChange::None)
                .await?;
            return Ok(());
        };
        let key = P::row_key(&event, envelope);
        let row = match store.get(&P::SCHEMA, &key).await? {
            Some(row) => Some(
                serde_json::from_value::<P>(Value::Object(row))
                    .map_err(|e| row_error(e.to_string()))?,
            ),
            None => None,
        };
        let change = match P::project_event(row, &event, envelope) {
            Change::Keep => RowChange::None,
            Change::Delete => RowChange::Delete(key),
            Change::Upsert(row) => {
                match serde_json::to_value(&row).map_err(|e| row_error(e.to_string()))? {
                    Value::Object(row) => RowChange::Upsert(row),
                    other => {
                        return Err(row_error(format!(
                            "a row must serialize to an object, not {other}"
                        )));
                    }
                }
            }
        };
        store.apply(&P::SCHEMA, P::NAME, *cursor, change).await?;
        Ok(())
    }
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

    /// Creates every projection's table and the checkpoint table.
    pub async fn prepare(&self) -> Result<(), StoreError> {
        for projector in &self.projectors {
            self.store.prepare(projector.schema()).await?;
        }
        Ok(())
    }

    /// Each projection's name and checkpoint.
    pub async fn positions(&self) -> Result<Vec<(&'static str, Cursor)>, StoreError> {
        let mut positions = Vec::with_capacity(self.projectors.len());
        for projector in &self.projectors {
            positions.push((
                projector.name(),
                self.store.checkpoint(projector.name()).await?,
            ));
        }
        Ok(positions)
    }

    /// Applies, synchronously, every event the store holds now. For tests and tools; a service
    /// uses [`spawn`](Self::spawn).
    pub async fn catch_up(&self, events: &dyn EventStore) -> Result<(), ProjectionError> {
        for projector in &self.projectors {
            let mut cursor = self.store.checkpoint(projector.name()).await?;
            loop {
                let batch = events.read_all(cursor, 512).await?;
                let Some(last) = batch.last() else { break };
                cursor = last.cursor;
                for entry in &batch {
                    projector.handle(self.store.as_ref(), entry).await?;
                }
            }
        }
        Ok(())
    }

    /// Starts one task per projection. A failing event is retried until it applies: a
    /// projection stops advancing rather than skip an event.
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
                        if let Err(error) = run(projector.as_ref(), store.as_ref(), bus.as_ref()).await {
                            tracing::error!(projection = projector.name(), %error, "projection failed; retrying");
                            tokio::time::sleep(retry_delay).await;
                        }
                    }
                })
            })
            .collect()
    }
}

async fn run(
    projector: &dyn Projector,
    store: &dyn ReadStore,
    bus: &dyn EventBus,
) -> Result<(), ProjectionError> {
    let checkpoint = store.checkpoint(projector.name()).await?;
    let mut subscription = bus.subscribe(projector.name(), checkpoint).await?;
    loop {
        for entry in subscription.next_batch().await? {
            projector.handle(store, &entry).await?;
        }
    }
}
