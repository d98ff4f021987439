use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use super::{BusError, EventBus};
use crate::engine::feed::{Delivery, Feed, FeedError, Marks, Subscription};
use crate::event::EventEnvelope;
use crate::store::{Cursor, EventStore, LogEntry, StoreError};

/// The in-process bus: readers follow the event store's log itself, and a publish only wakes
/// them.
///
/// Because the store is the log, nothing published can be lost in the bus: a reader that missed
/// a wake-up, or a process that crashed between commit and publish, still finds the events on
/// its next read. Readers also poll now and then, so events committed by another process
/// sharing the same database are picked up.
///
/// As a [`Feed`], it hands projections the log in order, marked by checkpoint. It has nowhere to
/// set an event aside: a projection stops at an event that can never apply rather than skip
/// part of the log it is built from.
#[derive(Clone)]
pub struct InProcBus {
    store: Arc<dyn EventStore>,
    /// Counts commits; readers wait for it to change.
    commits: Arc<watch::Sender<u64>>,
    poll_interval: Duration,
}

impl std::fmt::Debug for InProcBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcBus")
            .field("commits", &*self.commits.borrow())
            .finish_non_exhaustive()
    }
}

/// How many events a reader takes from the store at once.
const BATCH: usize = 256;

impl InProcBus {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            commits: Arc::new(watch::channel(0).0),
            poll_interval: Duration::from_secs(1),
        }
    }

    /// How often an idle reader looks for events committed by other processes.
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval;
        self
    }

    /// The same bus (woken by the same commits) reading the log through `store`: another view
    /// of the same database, such as the sealed log under a
    /// [`SealedEventStore`](crate::personal::SealedEventStore), which a relay publishes as is.
    pub fn reading(&self, store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            ..self.clone()
        }
    }

    /// Follows the log from after `after`.
    pub fn follow(&self, after: Cursor) -> LogFollower {
        LogFollower {
            store: Arc::clone(&self.store),
            wake: self.commits.subscribe(),
            cursor: after,
            poll_interval: self.poll_interval,
        }
    }
}

#[async_trait]
impl EventBus for InProcBus {
    async fn publish(&self, events: &[EventEnvelope]) -> Result<(), BusError> {
        if !events.is_empty() {
            self.commits
                .send_modify(|commits| *commits = commits.wrapping_add(1));
        }
        Ok(())
    }
}

#[async_trait]
impl Feed for InProcBus {
    fn marks(&self) -> Marks {
        Marks::Checkpoint
    }

    async fn subscribe(
        &self,
        _projection: &str,
        after: Cursor,
    ) -> Result<Box<dyn Subscription>, FeedError> {
        Ok(Box::new(self.follow(after)))
    }

    async fn behind(&self, _projection: &str, checkpoint: Cursor) -> Result<u64, FeedError> {
        self.store
            .count_after(checkpoint)
            .await
            .map_err(FeedError::new)
    }
}

/// A reader of the log, in cursor order, from where it started.
pub struct LogFollower {
    store: Arc<dyn EventStore>,
    wake: watch::Receiver<u64>,
    cursor: Cursor,
    poll_interval: Duration,
}

impl std::fmt::Debug for LogFollower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogFollower")
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

impl LogFollower {
    /// The next events of the log, waiting until there is at least one.
    pub async fn next_batch(&mut self) -> Result<Vec<LogEntry>, StoreError> {
        loop {
            // Mark the wake-up as seen before reading, so a publish that lands after the read
            // still wakes the wait below.
            self.wake.borrow_and_update();
            let batch = self.store.read_all(self.cursor, BATCH).await?;
            if let Some(last) = batch.last() {
                self.cursor = last.cursor;
                return Ok(batch);
            }
            // A timeout is the poll; a closed channel means the bus is gone, so poll only.
            if let Ok(Err(_closed)) =
                tokio::time::timeout(self.poll_interval, self.wake.changed()).await
            {
                tokio::time::sleep(self.poll_interval).await;
            }
        }
    }
}

#[async_trait]
impl Subscription for LogFollower {
    async fn next_batch(&mut self) -> Result<Vec<Delivery>, FeedError> {
        let batch = LogFollower::next_batch(self)
            .await
            .map_err(FeedError::new)?;
        Ok(batch.into_iter().map(Delivery::from).collect())
    }
}
