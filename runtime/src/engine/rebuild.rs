//! Rebuilding a projection from the event store while the service runs.
//!
//! The rebuild replays the whole log into a new [generation](crate::store::generation) of the
//! projection, beside the live one, which keeps serving queries and keeps being updated. When
//! the new generation has caught up with the log, it becomes the active one: queries switch to
//! it within a second, and projectors of the projection switch to it at their next event. After
//! a grace period, the old generation's tables are dropped. Other projections are not touched.
//!
//! A rebuild that stops half way (a crash, an event that cannot apply) leaves the live
//! generation as it was; running it again resumes where it stopped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::feed::Marks;
use super::projector::{ProjectionError, Projector};
use crate::store::generation::AtGeneration;
use crate::store::{Cursor, EventStore, Mark, ReadStore, StoreError};

/// How many events a replay reads from the log, and applies, at once.
const BATCH: usize = 512;

/// What a replay does with an event that can never apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnPoison {
    /// Stop with [`ReplayError::Event`].
    Stop,
    /// Log it and go on: for a consumer catching up, whose broker dead-letters such events.
    Skip,
}

/// How far a rebuild has come, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub generation: u64,
    /// Events replayed so far by this run.
    pub events: u64,
    pub cursor: Cursor,
}

/// What a finished rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// The generation now active.
    pub generation: u64,
    /// Events replayed by this run.
    pub events: u64,
    pub elapsed: Duration,
}

/// A rebuild failed; the live generation is as it was.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("there is no projection named `{name}`; the projections are: {known}")]
    UnknownProjection { name: String, known: String },
    #[error("{0}; the live generation is unchanged, and running the rebuild again resumes here")]
    Replay(#[from] ReplayError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Replaying the log into a projection stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("event {event_id} at position {position} cannot be applied: {error}")]
    Event {
        position: u64,
        event_id: uuid::Uuid,
        error: ProjectionError,
    },
    #[error(transparent)]
    Projection(#[from] ProjectionError),
}

impl From<StoreError> for ReplayError {
    fn from(error: StoreError) -> Self {
        Self::Projection(error.into())
    }
}

impl From<ReplayError> for ProjectionError {
    fn from(error: ReplayError) -> Self {
        match error {
            ReplayError::Event { error, .. } | ReplayError::Projection(error) => error,
        }
    }
}

/// How long the old generation stays after a switch, unless a rebuild says otherwise: longer
/// than queries take to follow the switch.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// Rebuilds one projection: see the [module docs](self).
pub struct Rebuild {
    pub events: Arc<dyn EventStore>,
    pub read: Arc<dyn ReadStore>,
    pub projector: Arc<dyn Projector>,
    pub marks: Marks,
    /// How long the old generation stays after the switch, for queries and projectors that
    /// have not switched yet.
    pub grace: Duration,
}

impl std::fmt::Debug for Rebuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rebuild")
            .field("projection", &self.projector.name())
            .field("marks", &self.marks)
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

impl Rebuild {
    pub async fn run(&self, mut progress: impl FnMut(Progress)) -> Result<Rebuilt, RebuildError> {
        let started = Instant::now();
        let name = self.projector.name();
        let schema = self.projector.schema();
        self.read.prepare_bookkeeping().await?;
        let live = self.read.active(name).await?;
        let generation = live + 1;
        let target = AtGeneration::new(Arc::clone(&self.read), generation);
        target.prepare(schema).await?;
        // Built now, for the projection as it is.
        target.record_shape(schema).await?;
        let events = replay(
            self.events.as_ref(),
            &target,
            self.projector.as_ref(),
            self.marks,
            OnPoison::Stop,
            |events, cursor| {
                progress(Progress {
                    generation,
                    events,
                    cursor,
                })
            },
        )
        .await?;
        self.read.activate(name, generation).await?;
        tracing::info!(
            projection = name,
            generation,
            events,
            "rebuilt generation is active"
        );
        tokio::time::sleep(self.grace).await;
        AtGeneration::new(Arc::clone(&self.read), live)
            .drop_projection(schema, name)
            .await?;
        Ok(Rebuilt {
            generation,
            events,
            elapsed: started.elapsed(),
        })
    }
}

/// Applies the log, from where `target` left it to its end, to one projection; returns how
/// many events it read. The events read together are applied in one read-store transaction,
/// or one by one when that fails, so an event at fault is found. With per-aggregate marks, the
/// cursor it reached is saved as the projection's checkpoint after each batch, so a replay that
/// stops resumes there.
pub(crate) async fn replay(
    events: &dyn EventStore,
    target: &AtGeneration,
    projector: &dyn Projector,
    marks: Marks,
    on_poison: OnPoison,
    mut progress: impl FnMut(u64, Cursor),
) -> Result<u64, ReplayError> {
    let name = projector.name();
    let mut cursor = target.checkpoint(name).await?;
    let mut replayed = 0;
    loop {
        let batch = events.read_all(cursor, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(replayed);
        };
        cursor = last.cursor;
        let marked: Vec<_> = batch
            .iter()
            .map(|entry| {
                let mark = match marks {
                    Marks::Checkpoint => Mark::in_log(&entry.envelope, entry.cursor),
                    Marks::PerAggregate => Mark::delivered(&entry.envelope),
                };
                (&entry.envelope, mark)
            })
            .collect();
        if projector.handle_many(target, &marked).await.is_err() {
            for (envelope, mark) in marked {
                match projector.handle(target, envelope, mark).await {
                    Ok(_) => {}
                    Err(error) if error.is_poison() && on_poison == OnPoison::Skip => {
                        tracing::error!(projection = name, event_id = %envelope.event_id, %error, "poison event skipped while catching up");
                    }
                    Err(error) if error.is_poison() => {
                        return Err(ReplayError::Event {
                            position: envelope.position,
                            event_id: envelope.event_id,
                            error,
                        });
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        if marks == Marks::PerAggregate {
            target.save_checkpoint(name, cursor).await?;
        }
        replayed += batch.len() as u64;
        progress(replayed, cursor);
    }
}
