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

use crate::runner::{ProjectionError, Projector};
use crate::store::generation::AtGeneration;
use crate::store::{Cursor, EventStore, LogEntry, Mark, ReadStore, StoreError};

/// How a projection tells an event it has applied from one it has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marks {
    /// One checkpoint in the log: the projection is fed from the log in order (in process).
    Checkpoint,
    /// The last sequence applied per aggregate: the projection is fed by a partitioned broker.
    PerAggregate,
}

/// What a replay does with an event that can never apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnPoison {
    /// Stop with [`RebuildError::Event`].
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
    #[error(
        "event {event_id} at position {position} cannot be applied: {error}; the live \
         generation is unchanged, and running the rebuild again resumes here"
    )]
    Event {
        position: u64,
        event_id: uuid::Uuid,
        error: ProjectionError,
    },
    #[error(transparent)]
    Projection(ProjectionError),
    #[error(transparent)]
    Store(#[from] StoreError),
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
/// many events it read. With per-aggregate marks, the cursor it reached is saved as the
/// projection's checkpoint after each batch, so a replay that stops resumes there.
pub(crate) async fn replay(
    events: &dyn EventStore,
    target: &dyn ReadStore,
    projector: &dyn Projector,
    marks: Marks,
    on_poison: OnPoison,
    mut progress: impl FnMut(u64, Cursor),
) -> Result<u64, RebuildError> {
    let name = projector.name();
    let mut cursor = target.checkpoint(name).await?;
    let mut replayed = 0;
    loop {
        let batch = events.read_all(cursor, 512).await?;
        let Some(last) = batch.last() else {
            return Ok(replayed);
        };
        cursor = last.cursor;
        for LogEntry {
            cursor: at,
            envelope,
        } in &batch
        {
            let mark = match marks {
                Marks::Checkpoint => Mark::in_log(envelope, *at),
                Marks::PerAggregate => Mark::delivered(envelope),
            };
            match projector.handle(target, envelope, mark).await {
                Ok(_) => {}
                Err(error) if error.is_poison() && on_poison == OnPoison::Skip => {
                    tracing::error!(projection = name, event_id = %envelope.event_id, %error, "poison event skipped while catching up");
                }
                Err(error) if error.is_poison() => {
                    return Err(RebuildError::Event {
                        position: envelope.position,
                        event_id: envelope.event_id,
                        error,
                    });
                }
                Err(error) => return Err(RebuildError::Projection(error)),
            }
        }
        if marks == Marks::PerAggregate {
            target.save_checkpoint(name, cursor).await?;
        }
        replayed += batch.len() as u64;
        progress(replayed, cursor);
    }
}
