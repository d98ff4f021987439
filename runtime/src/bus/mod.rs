//! How a commit is announced, and the feeds that carry committed events to projections.
//!
//! The dispatcher [`publish`](EventBus::publish)es after each commit. Projections take their
//! events from a [`Feed`](crate::engine::Feed): the [`InProcBus`], which reads the store's own
//! log and is woken by each publish, or [`kafka::KafkaFeed`], which consumes what the outbox
//! relay published to Kafka.

use async_trait::async_trait;

use crate::event::EventEnvelope;

mod inproc;
#[cfg(feature = "kafka")]
pub mod kafka;

pub use inproc::{InProcBus, LogFollower};

/// What the dispatcher tells after each commit.
#[async_trait]
pub trait EventBus: std::fmt::Debug + Send + Sync + 'static {
    /// Announces events that were just committed.
    async fn publish(&self, events: &[EventEnvelope]) -> Result<(), BusError>;
}

#[derive(Debug, thiserror::Error)]
#[error("event bus: {0}")]
pub struct BusError(#[source] pub Box<dyn std::error::Error + Send + Sync>);
