use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use super::{BusError, EventBus, Subscription};
use crate::event::EventEnvelope;
use crate::store::{Cursor, EventStore, LogEntry};

/// The in-process bus: subscribers read the event store itself, and a publish only wakes them.
///
/// Because the store is the log, nothing published can be lost in the bus: a subscriber that
/// missed a wake-up, or a process that crashed between commit and publish, still finds the events
/// on its next read. Subscribers also poll now and then, so events committed by another process
/// sharing the same database are picked up.
#[derive(Clone)]
pub struct InProcBus {
    store: Arc<dyn EventStore>,
    /// Counts commits; subscribers wait for it to change.
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

/// How many events a subscriber takes from the store at once.
const BATCH: usize = 256;

impl InProcBus {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            commits: Arc::new(watch::channel(0).0),
            poll_interval: Duration::from_secs(1),
        }
    }

    /// How often an idle subscriber looks for events committed by other processes.
    pub fn with_poll_interval(mut self, poll_interval: Duration) -> Self {
        self.poll_interval = poll_interval;
        self
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

    async fn subscribe(
        &self,
        _subscriber: &str,
        after: Cursor,
    ) -> Result<Box<dyn Subscription>, BusError> {
        Ok(Box::new(InProcSubscription {
            store: Arc::clone(&self.store),
            wake: self.commits.subscribe(),
            cursor: after,
            poll_interval: self.poll_interval,
        }))
    }
}

struct InProcSubscription {
    store: Arc<dyn EventStore>,
    wake: watch::Receiver<u64>,
    cursor: Cursor,
    poll_interval: Duration,
}

#[async_trait]
impl Subscription for InProcSubscription {
    async fn next_batch(&mut self) -> Result<Vec<LogEntry>, BusError> {
        loop {
            // Mark the wake-up as seen before reading, so a publish that lands after the read
            // still wakes the wait below.
            self.wake.borrow_and_update();
            let batch = self
                .store
                .read_all(self.cursor, BATCH)
                .await
                .map_err(|error| BusError(Box::new(error)))?;
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
