//! Where a projection's events come from: the small trait every source implements, whether it
//! reads the store's own log ([`InProcBus`](crate::bus::InProcBus)) or a broker's topics
//! ([`KafkaFeed`](crate::bus::kafka::KafkaFeed)).

use async_trait::async_trait;

use crate::event::EventEnvelope;
use crate::store::{Cursor, LogEntry};

/// How a projection tells an event it has applied from one it has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marks {
    /// One checkpoint in the log: the projection is fed from the log in order (in process).
    Checkpoint,
    /// The last sequence applied per aggregate: the projection is fed by a partitioned broker,
    /// which keeps each aggregate's events in order but interleaves aggregates.
    PerAggregate,
}

/// A source of events for projections.
///
/// Delivery is at least once: a subscription may hand out an event again after a restart or a
/// rebalance, and the read store's [`Marks`] skip it.
#[async_trait]
pub trait Feed: std::fmt::Debug + Send + Sync + 'static {
    /// How the read store tells an event this feed delivers from one applied already.
    fn marks(&self) -> Marks;

    /// The events for `projection`, from after `after` where the feed replays the log by
    /// cursor; a feed that keeps its own offsets per consumer starts from those instead.
    async fn subscribe(
        &self,
        projection: &str,
        after: Cursor,
    ) -> Result<Box<dyn Subscription>, FeedError>;

    /// How many events `projection`, standing at `checkpoint` in the log, has yet to take: for
    /// a status display.
    async fn behind(&self, projection: &str, checkpoint: Cursor) -> Result<u64, FeedError>;
}

/// One projection's view of a [`Feed`].
#[async_trait]
pub trait Subscription: Send {
    /// The next events, in order, waiting until there is at least one.
    async fn next_batch(&mut self) -> Result<Vec<Delivery>, FeedError>;

    /// Every event of the last batch is done with: applied, or set aside. A feed that keeps
    /// offsets moves them now, never before.
    async fn ack(&mut self) -> Result<(), FeedError> {
        Ok(())
    }

    /// Sets aside the event at `index` of the last batch, which can never apply, with why, so
    /// the projection can go on (a broker's dead-letter topic). `Ok(false)` when this feed has
    /// nowhere to set events aside: the projection then stops at the event and keeps retrying
    /// it rather than skip it, since the log it reads is the truth.
    async fn dead_letter(&mut self, index: usize, reason: &str) -> Result<bool, FeedError> {
        let _ = (index, reason);
        Ok(false)
    }
}

/// One event as a feed delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The event, or why what arrived is not one (a broker record that does not parse).
    pub event: Result<EventEnvelope, String>,
    /// Where the event stands in the log, when the feed reads the log in order.
    pub cursor: Option<Cursor>,
}

impl From<LogEntry> for Delivery {
    fn from(entry: LogEntry) -> Self {
        Self {
            event: Ok(entry.envelope),
            cursor: Some(entry.cursor),
        }
    }
}

/// A feed failed: its store or broker cannot be reached, or refused.
#[derive(Debug, thiserror::Error)]
#[error("feed: {0}")]
pub struct FeedError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl FeedError {
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(error))
    }
}
