//! The outbox relay's producer.

use std::time::Duration;

use async_trait::async_trait;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};

use super::topics::Topics;
use super::{KafkaConfig, KafkaError};
use crate::bus::BusError;
use crate::event::EventEnvelope;
use crate::relay::Sink;
use crate::store::LogEntry;

/// Publishes the log to Kafka for an [`OutboxRelay`](crate::relay::OutboxRelay): one topic per
/// aggregate type, keyed by aggregate id, from an idempotent producer. A batch counts as
/// delivered only once every record in it is acknowledged by all in-sync replicas.
pub struct KafkaSink {
    producer: FutureProducer,
    topics: Topics,
    config: KafkaConfig,
}

impl std::fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink")
            .field("brokers", &self.config.brokers)
            .finish_non_exhaustive()
    }
}

/// How long one record may take to be acknowledged before the batch fails and is sent again.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

impl KafkaSink {
    pub fn new(config: &KafkaConfig) -> Result<Self, KafkaError> {
        let topics = Topics::new(config)?;
        let producer = config
            .client()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "2")
            .set(
                "message.timeout.ms",
                DELIVERY_TIMEOUT.as_millis().to_string(),
            )
            .create()
            .map_err(|source| KafkaError::Client {
                brokers: config.brokers.clone(),
                source,
            })?;
        Ok(Self {
            producer,
            topics,
            config: config.clone(),
        })
    }

    /// Whether a broker answers a metadata request within 5 s, for a readiness check.
    pub async fn ping(&self) -> Result<(), KafkaError> {
        let producer = self.producer.clone();
        let answered = tokio::task::spawn_blocking(move || {
            producer
                .client()
                .fetch_metadata(None, Duration::from_secs(5))
                .map(drop)
        })
        .await
        .unwrap_or(Err(rdkafka::error::KafkaError::Canceled));
        answered.map_err(|source| KafkaError::Client {
            brokers: self.config.brokers.clone(),
            source,
        })
    }
}

#[async_trait]
impl Sink for KafkaSink {
    async fn deliver(&self, entries: &[LogEntry]) -> Result<(), BusError> {
        let bus_error = |error: KafkaError| BusError(Box::new(error));
        let client_error = |source| {
            bus_error(KafkaError::Client {
                brokers: self.config.brokers.clone(),
                source,
            })
        };
        let mut topics: Vec<String> = entries
            .iter()
            .map(|entry| self.config.topic(&entry.envelope.aggregate_type))
            .collect();
        topics.sort();
        topics.dedup();
        self.topics.ensure(&topics).await.map_err(bus_error)?;

        // Enqueued in log order, all before waiting on any: the idempotent producer keeps that
        // order within each partition, retries included.
        let mut deliveries = Vec::with_capacity(entries.len());
        for entry in entries {
            let envelope = &entry.envelope;
            let topic = self.config.topic(&envelope.aggregate_type);
            let value = serde_json::to_vec(envelope).map_err(|error| BusError(Box::new(error)))?;
            let record = FutureRecord::to(&topic)
                .key(&envelope.aggregate_id)
                .payload(&value)
                .headers(headers(envelope));
            let delivery = self
                .producer
                .send_result(record)
                .map_err(|(error, _)| client_error(error))?;
            deliveries.push(delivery);
        }
        for delivery in deliveries {
            match delivery.await {
                Ok(Ok(_)) => {}
                Ok(Err((error, _))) => return Err(client_error(error)),
                Err(_canceled) => {
                    return Err(client_error(rdkafka::error::KafkaError::Canceled));
                }
            }
        }
        Ok(())
    }
}

/// The headers every record carries, so routers and tools need not parse the value.
fn headers(envelope: &EventEnvelope) -> OwnedHeaders {
    let version = envelope.event_version.to_string();
    let sequence = envelope.sequence.to_string();
    let event_id = envelope.event_id.to_string();
    let mut headers = OwnedHeaders::new_with_capacity(8);
    for (key, value) in [
        ("event_type", Some(envelope.event_type.as_str())),
        ("event_version", Some(version.as_str())),
        ("event_id", Some(event_id.as_str())),
        ("aggregate_type", Some(envelope.aggregate_type.as_str())),
        ("sequence", Some(sequence.as_str())),
        (
            "correlation_id",
            envelope.metadata.correlation_id.as_deref(),
        ),
        ("causation_id", envelope.metadata.causation_id.as_deref()),
        // The W3C name: Kafka instrumentations read the trace context from it.
        ("traceparent", envelope.metadata.traceparent.as_deref()),
        ("actor", envelope.metadata.actor.as_deref()),
    ] {
        if let Some(value) = value {
            headers = headers.insert(Header {
                key,
                value: Some(value),
            });
        }
    }
    headers
}
