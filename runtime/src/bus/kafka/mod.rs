//! Apache Kafka as the broker (feature `kafka`): the outbox relay publishes the log to a topic
//! per aggregate type, and projectors consume it in consumer groups.
//!
//! # On the wire
//!
//! Each event is one record on topic `{topic_prefix}{aggregate_type}`, keyed by the aggregate
//! id, so one aggregate's events stay in one partition, in order. The value is the
//! [`EventEnvelope`](crate::EventEnvelope) as JSON:
//!
//! ```json
//! {"event_id": "0192…", "aggregate_type": "Order", "aggregate_id": "7f0c…", "sequence": 3,
//!  "position": 41, "event_type": "ItemAdded", "event_version": 1,
//!  "timestamp": "2026-11-27T09:00:00.000000Z",
//!  "metadata": {"correlation_id": "req-1", "causation_id": null}, "payload": {…}}
//! ```
//!
//! and the headers repeat what a router needs without parsing it: `event_type`,
//! `event_version`, `event_id`, `aggregate_type`, `sequence`, and `correlation_id`,
//! `causation_id`, the W3C `traceparent` and the `actor` when set (the metadata holds them
//! too). The producer is idempotent, so retries inside the client never
//! duplicate or reorder a partition.
//!
//! # Delivery
//!
//! At least once, end to end: the [`OutboxRelay`](crate::relay::OutboxRelay) moves its
//! checkpoint only after Kafka acknowledged a batch, and a [`KafkaFeed`] consumer stores a
//! record's offset only after the projection engine acknowledged it: the read store committed it,
//! or the dead-letter topic took it.
//! Each aggregate's events reach a projection in order but aggregates interleave, so the read
//! store marks the last sequence applied per aggregate and skips anything at or below it: a
//! redelivery after a crash or a rebalance changes nothing. The records a consumer finds waiting
//! together are handed to the engine as one batch (see [`crate::engine`]).
//!
//! # Rebuilds
//!
//! A [rebuild](crate::engine::rebuild) replays the log into a new generation with per-aggregate
//! marks, then switches. The engine checks the active generation before each batch, and never
//! acknowledges a record it did not apply to the active generation. The first consumer to run on
//! a new generation first replays the log from where the rebuild stopped: that covers every
//! record the consumers of the old generation took before the switch.

mod config;
mod dead_letter;
mod feed;
mod security;
mod sink;
mod topics;

pub use config::KafkaConfig;
pub use feed::KafkaFeed;
pub use secrecy::SecretString;
pub use security::{KafkaSasl, KafkaSecurity, KafkaTls, SaslMechanism};
pub use sink::KafkaSink;

/// Kafka refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    #[error("kafka at {brokers}: {source}")]
    Client {
        brokers: String,
        #[source]
        source: rdkafka::error::KafkaError,
    },
    #[error("kafka at {brokers}: {reason}")]
    Settings { brokers: String, reason: String },
    #[error("kafka at {brokers}: cannot create topic {topic}: {reason}")]
    Topic {
        brokers: String,
        topic: String,
        reason: String,
    },
}

impl From<KafkaError> for crate::engine::feed::FeedError {
    fn from(error: KafkaError) -> Self {
        Self::new(error)
    }
}
