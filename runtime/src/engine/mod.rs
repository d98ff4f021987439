//! The projection engine: keeps every projection of a service up to date from one [`Feed`],
//! whatever the feed reads — the store's own log in process, or a broker's partitions.
//!
//! One engine, one policy, whatever the source:
//! - **Checkpointed, applied once.** Each event is applied in the read store's transaction
//!   together with its mark (the projection's checkpoint in the log, or its aggregate's last
//!   sequence), so a redelivered event changes nothing and a new projection catches up from
//!   the first event.
//! - **Batches.** The events a subscription hands over together (up to a few hundred, when the
//!   projection has fallen behind) are applied in one transaction, so a projection catches up
//!   faster the further behind it is; they are acknowledged to the feed only once applied.
//! - **Retries and dead letters.** An event that fails is retried alone; one that can never
//!   apply is set aside by the feed after a few attempts (Kafka's dead-letter topic), or, where
//!   the feed has nowhere to set it (the log is the truth), waited at: a projection stops
//!   advancing rather than skip an event.
//! - **Rebuilds.** [`rebuild`] replays the log into a new generation beside the live one and
//!   switches; the engine's tasks follow the switch at their next batch. A projection changed
//!   since its tables were built is rebuilt so by its own task before it runs.

mod changed;
pub mod feed;
mod joins;
mod order;
pub mod projector;
pub mod rebuild;
mod run;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

pub use feed::{Delivery, Feed, FeedError, Marks, Subscription};
pub use projector::{ProjectionError, Projector, projector};
use rebuild::{DEFAULT_GRACE, OnPoison, Rebuild, RebuildError, replay};
use run::{Parts, Policy, run};

use crate::projection::Projection;
use crate::store::generation::AtGeneration;
use crate::store::{Cursor, EventStore, ReadStore, StoreError};

/// How long [`ProjectionEngine::catch_up`] waits for events committed behind a transaction
/// still running, and how often it looks again meanwhile.
const SETTLE_WAIT: Duration = Duration::from_secs(30);
const SETTLE_POLL: Duration = Duration::from_millis(5);

/// Runs every projection of a service, each in its own task from its own checkpoint.
#[derive(Clone)]
pub struct ProjectionEngine {
    read: Arc<dyn ReadStore>,
    events: Arc<dyn EventStore>,
    feed: Arc<dyn Feed>,
    projectors: Vec<Arc<dyn Projector>>,
    policy: Policy,
}

impl std::fmt::Debug for ProjectionEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.projectors.iter().map(|p| p.name()).collect();
        f.debug_struct("ProjectionEngine")
            .field("feed", &self.feed)
            .field("projections", &names)
            .finish_non_exhaustive()
    }
}

/// Where a projection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectionStatus {
    pub projection: &'static str,
    /// The generation queries read: 0 until the projection's first rebuild.
    pub generation: u64,
    /// The cursor of the last event the generation applied, when it is fed from the log.
    pub checkpoint: Cursor,
    /// How many events it has yet to take from its feed.
    pub behind: u64,
    /// Whether the generation's tables were built for another shape of the projection (a
    /// field, a list or a count it did not have): its task rebuilds it before running, and its
    /// queries answer `Rebuilding` until then.
    pub changed: bool,
}

impl ProjectionEngine {
    /// Projections into `read`, fed by `feed`; `events` is the event store behind the feed,
    /// which rebuilds and catch-ups replay.
    pub fn new(read: Arc<dyn ReadStore>, events: Arc<dyn EventStore>, feed: Arc<dyn Feed>) -> Self {
        Self {
            read,
            events,
            feed,
            projectors: Vec::new(),
            policy: Policy {
                retry_delay: Duration::from_secs(1),
                poison_attempts: 3,
            },
        }
    }

    /// Adds a projection.
    pub fn with<P: Projection>(mut self) -> Self {
        self.projectors.push(projector::<P>());
        self
    }

    /// How long to wait before trying again an event that failed to apply, or a feed that
    /// failed (1 s by default).
    pub fn with_retry_delay(mut self, retry_delay: Duration) -> Self {
        self.policy.retry_delay = retry_delay;
        self
    }

    /// Attempts at an event that can never apply before the feed sets it aside (3 by default).
    pub fn with_poison_attempts(mut self, attempts: u32) -> Self {
        self.policy.poison_attempts = attempts.max(1);
        self
    }

    /// How the projections mark the events they applied, as their feed delivers them.
    pub fn marks(&self) -> Marks {
        self.feed.marks()
    }

    /// Creates the shared tables and each projection's table in its active generation, and
    /// records the shape each is built for. A projection whose live tables were built for
    /// another shape of it (a field, a list or a count added or changed) is left as it is: its
    /// task rebuilds it when [spawned](Self::spawn), and its queries answer
    /// [`QueryError::Rebuilding`](crate::QueryError::Rebuilding) until then.
    ///
    /// Refuses projections that join ([`Projection::READS`]) one this engine does not run, or
    /// that join each other in a circle: they would wait for each other forever.
    pub async fn prepare(&self) -> Result<(), StoreError> {
        order::by_reads(&self.projectors).map_err(StoreError::Unsupported)?;
        self.read.prepare_bookkeeping().await?;
        for projector in &self.projectors {
            let schema = projector.schema();
            let target = self.at_active(projector.name()).await?;
            match target.shape(schema).await? {
                Some(shape) if shape != schema.shape() => tracing::warn!(
                    projection = projector.name(),
                    generation = target.generation(),
                    "the projection changed since its tables were built (a field, a list or a \
                     count added or changed): its projector rebuilds it from the events into a \
                     new generation, and its queries answer 503 until that one is active"
                ),
                built_for => {
                    target.prepare(schema).await?;
                    if built_for.is_none() {
                        target.record_shape(schema).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Starts one task per projection; each restarts from its checkpoint after a failure, and
    /// moves to a rebuilt generation when one becomes active. A projection whose live tables
    /// were built for another shape of it is rebuilt first.
    pub fn spawn(&self) -> Vec<JoinHandle<()>> {
        self.projectors
            .iter()
            .map(|projector| {
                let engine = self.clone();
                let projector = Arc::clone(projector);
                tokio::spawn(async move {
                    engine.rebuild_if_changed(&projector).await;
                    let parts = Parts {
                        projector: projector.as_ref(),
                        read: &engine.read,
                        events: engine.events.as_ref(),
                        feed: engine.feed.as_ref(),
                        policy: engine.policy,
                    };
                    loop {
                        match run(&parts).await {
                            Ok(generation) => {
                                tracing::info!(projection = projector.name(), generation, "switching to a rebuilt generation");
                            }
                            Err(error) => {
                                tracing::error!(projection = projector.name(), %error, "projection failed; retrying");
                                tokio::time::sleep(engine.policy.retry_delay).await;
                            }
                        }
                    }
                })
            })
            .collect()
    }

    /// Applies, synchronously, every event committed before the call, marked as the feed
    /// marks them. For tests and tools; a service uses [`spawn`](Self::spawn).
    ///
    /// Projections that others join are caught up first. Where the log shows an event only
    /// once every older transaction has ended (PostgreSQL), this waits for them, up to 30
    /// seconds: a read after `catch_up` sees every command answered before it.
    pub async fn catch_up(&self) -> Result<(), ProjectionError> {
        let ordered = order::by_reads(&self.projectors)
            .map_err(|e| ProjectionError::Store(StoreError::Unsupported(e)))?;
        let committed = self.events.last_committed().await?;
        for projector in ordered {
            let name = projector.name();
            let target = self.at_active(name).await?;
            let mut reached = target.checkpoint(name).await?;
            let started = Instant::now();
            loop {
                replay(
                    self.events.as_ref(),
                    &target,
                    projector.as_ref(),
                    self.feed.marks(),
                    OnPoison::Stop,
                    |_, cursor| reached = cursor,
                )
                .await?;
                if reached >= committed {
                    break;
                }
                if started.elapsed() >= SETTLE_WAIT {
                    return Err(ProjectionError::Store(StoreError::Unavailable(format!(
                        "{name} caught up to position {}, but events committed up to \
                         position {} stay hidden behind a transaction still open on the \
                         server after {SETTLE_WAIT:?}",
                        reached.position, committed.position
                    ))));
                }
                tokio::time::sleep(SETTLE_POLL).await;
            }
        }
        Ok(())
    }

    /// A rebuild of the projection named `name` with the default grace period, marking events
    /// as the feed does.
    pub fn rebuild(&self, name: &str) -> Result<Rebuild, RebuildError> {
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
            events: Arc::clone(&self.events),
            read: Arc::clone(&self.read),
            projector: Arc::clone(projector),
            marks: self.feed.marks(),
            grace: DEFAULT_GRACE,
        })
    }

    /// Where each projection stands: its active generation, its checkpoint there, and how far
    /// behind its feed it is.
    pub async fn status(&self) -> Result<Vec<ProjectionStatus>, ProjectionError> {
        let mut status = Vec::with_capacity(self.projectors.len());
        for projector in &self.projectors {
            let projection = projector.name();
            let target = self.at_active(projection).await?;
            let checkpoint = target.checkpoint(projection).await?;
            let changed = target.built_for_another_shape(projector.schema()).await?;
            status.push(ProjectionStatus {
                projection,
                generation: target.generation(),
                checkpoint,
                behind: self.feed.behind(projection, checkpoint).await?,
                changed,
            });
        }
        Ok(status)
    }

    /// The read store as `projection`'s active generation sees it.
    async fn at_active(&self, projection: &str) -> Result<AtGeneration, StoreError> {
        let generation = self.read.active(projection).await?;
        Ok(AtGeneration::new(Arc::clone(&self.read), generation))
    }
}
