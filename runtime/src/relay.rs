//! The outbox relay: hands the log to a broker, in order, at least once, resuming where it
//! stopped.
//!
//! Every command's events are committed to the event store's log in the same transaction as the
//! write itself (an event-sourced append, or a state-stored aggregate's state row), so the log is
//! the transactional outbox: an event exists exactly when its write does. The relay reads the log
//! in cursor order after its checkpoint, hands each batch to a [`Sink`] (a broker's producer),
//! and only once the sink has acknowledged the batch moves the checkpoint past it, in the write
//! store. A crash between the two redelivers that batch after the restart; nothing is skipped.
//! Consumers are idempotent (projections keep checkpoints), so a redelivery changes nothing.
//!
//! Projections in the same process as the write side do not need a relay: the
//! [`InProcBus`] lets them read the log directly.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::task::JoinHandle;

use crate::bus::{BusError, InProcBus};
use crate::store::{EventStore, LogEntry, StoreError};

/// Where a relay delivers events: typically a broker's producer.
#[async_trait]
pub trait Sink: Send + Sync + 'static {
    /// Delivers `entries` in the order given, returning once the receiver has acknowledged all
    /// of them. An error means some may not have arrived: the relay delivers the whole batch
    /// again, so a sink never needs to remember what it sent.
    async fn deliver(&self, entries: &[LogEntry]) -> Result<(), BusError>;
}

/// A relay failed to read the log, deliver, or keep its checkpoint. [`OutboxRelay::spawn`]
/// retries from the checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sink(#[from] BusError),
}

/// Delivers the log to a [`Sink`], keeping its checkpoint in the event store under its name.
///
/// Run one relay per name and sink: a second instance under the same name only causes
/// duplicate deliveries (its checkpoint never moves backwards), never a gap.
#[derive(Clone)]
pub struct OutboxRelay {
    name: String,
    store: Arc<dyn EventStore>,
    log: InProcBus,
    sink: Arc<dyn Sink>,
    retry_delay: Duration,
}

impl std::fmt::Debug for OutboxRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxRelay")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// How many events a relay takes from the log at once by [`OutboxRelay::relay_pending`].
const BATCH: usize = 256;

impl OutboxRelay {
    /// A relay named `name` reading `store`'s log through `log`, the in-process bus over the
    /// same store: it wakes the relay on every commit in this process and polls for commits
    /// made by others.
    pub fn new(
        name: impl Into<String>,
        store: Arc<dyn EventStore>,
        log: InProcBus,
        sink: Arc<dyn Sink>,
    ) -> Self {
        Self {
            name: name.into(),
            store,
            log,
            sink,
            retry_delay: Duration::from_secs(1),
        }
    }

    /// How long to wait before trying again after a failure.
    pub fn with_retry_delay(mut self, retry_delay: Duration) -> Self {
        self.retry_delay = retry_delay;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Delivers everything the log holds past the checkpoint now, and returns how many events
    /// that was. For tests, tools and a final flush at shutdown; a service uses
    /// [`spawn`](Self::spawn).
    pub async fn relay_pending(&self) -> Result<usize, RelayError> {
        let mut cursor = self.store.relay_checkpoint(&self.name).await?;
        let mut delivered = 0;
        loop {
            let batch = self.store.read_all(cursor, BATCH).await?;
            let Some(last) = batch.last() else {
                return Ok(delivered);
            };
            cursor = last.cursor;
            self.deliver(&batch).await?;
            delivered += batch.len();
        }
    }

    /// Relays until an error, waiting for new events when the log is drained.
    pub async fn run(&self) -> Result<(), RelayError> {
        let checkpoint = self.store.relay_checkpoint(&self.name).await?;
        let mut log = self.log.follow(checkpoint);
        loop {
            let batch = log.next_batch().await?;
            self.deliver(&batch).await?;
        }
    }

    /// Runs the relay in a task of its own; after a failure it waits and resumes from its
    /// checkpoint, so it never skips an event however long the sink is down.
    pub fn spawn(&self) -> JoinHandle<()> {
        let relay = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = relay.run().await {
                    tracing::error!(relay = %relay.name, %error, "relay failed; resuming from its checkpoint");
                    tokio::time::sleep(relay.retry_delay).await;
                }
            }
        })
    }

    /// Hands `batch` to the sink, then moves the checkpoint past it: in this order, so a crash
    /// in between costs a redelivery, never a lost event.
    async fn deliver(&self, batch: &[LogEntry]) -> Result<(), RelayError> {
        let Some(last) = batch.last() else {
            return Ok(());
        };
        self.sink.deliver(batch).await?;
        self.store
            .save_relay_checkpoint(&self.name, last.cursor)
            .await?;
        Ok(())
    }
}
