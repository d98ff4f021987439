//! How committed events reach projections.
//!
//! The dispatcher [`publish`](EventBus::publish)es after each commit; projection runners
//! [`subscribe`](EventBus::subscribe) under their own name and receive events in cursor order.
//! Delivery is at least once: a subscriber may see an event again after a restart, and relies on
//! its checkpoint to skip it.

use async_trait::async_trait;

use crate::event::EventEnvelope;
use crate::store::{Cursor, LogEntry};

mod inproc;
#[cfg(feature = "kafka")]
pub mod kafka;

pub use inproc::InProcBus;

#[async_trait]
pub trait EventBus: std::fmt::Debug + Send + Sync + 'static {
    /// Announces events that were just committed.
    async fn publish(&self, events: &[EventEnvelope]) -> Result<(), BusError>;

    /// A stream of events for `subscriber`, starting after `after` where the bus can replay (a
    /// bus that keeps its own offsets per subscriber may start from those instead).
    async fn subscribe(
        &self,
        subscriber: &str,
        after: Cursor,
    ) -> Result<Box<dyn Subscription>, BusError>;
}

/// One subscriber's view of the bus.
#[async_trait]
pub trait Subscription: Send {
    /// The next events in cursor order, waiting until there is at least one.
    async fn next_batch(&mut self) -> Result<Vec<LogEntry>, BusError>;
}

#[derive(Debug, thiserror::Error)]
#[error("event bus: {0}")]
pub struct BusError(#[source] pub Box<dyn std::error::Error + Send + Sync>);
