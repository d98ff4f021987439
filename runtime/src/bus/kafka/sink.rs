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
/// aggregate type, keyed by aggregate id, from an idempotent, transactional producer.
///
/// Each batch is one Kafka transaction, committed only once every record in it is acknowledged
/// by all in-sync replicas: consumers reading committed records (the projectors do) see a batch
/// whole or not at all, so a batch sent again after a failure or a crash is never seen twice.
/// The transactional id is [`KafkaConfig::transactional_id`]: a relay that starts fences off a
/// predecessor under the same id, aborting what it left open, and a fenced producer is replaced
/// before the next batch.
pub struct KafkaSink {
    /// Replaced after a failed transaction, whose state it must not carry.
    producer: tokio::sync::Mutex<Option<Transactional>>,
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

/// A producer, and whether it has started its transactions (met the brokers, fencing off its
/// predecessors).
struct Transactional {
    producer: FutureProducer,
    started: bool,
}

/// How long one record may take to be acknowledged before the batch fails and is sent again;
/// also the bound on starting, committing or aborting a transaction.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

impl KafkaSink {
    /// Checks the settings and makes the producer; it meets the brokers on the first batch.
    pub fn new(config: &KafkaConfig) -> Result<Self, KafkaError> {
        let topics = Topics::new(config)?;
        let producer = Transactional {
            producer: producer(config)?,
            started: false,
        };
        Ok(Self {
            producer: tokio::sync::Mutex::new(Some(producer)),
            topics,
            config: config.clone(),
        })
    }

    fn client_error(&self, source: rdkafka::error::KafkaError) -> KafkaError {
        KafkaError::Client {
            brokers: self.config.brokers.clone(),
            source,
        }
    }

    /// Whether a broker answers a metadata request within 5 s, for a readiness check.
    pub async fn ping(&self) -> Result<(), KafkaError> {
        // Through the topics' client: the producer may be busy in a transaction, or being
        // replaced, and a new transactional producer per probe would cost a connection each.
        self.topics
            .ping(Duration::from_secs(5))
            .await
            .map_err(|source| self.client_error(source))
    }

    /// Sends `entries` in one transaction, starting the producer's transactions first when it
    /// is new.
    async fn transact(
        &self,
        current: &mut Transactional,
        entries: &[LogEntry],
    ) -> Result<(), KafkaError> {
        let producer = &current.producer;
        if !current.started {
            off_runtime(producer, |producer| {
                producer.init_transactions(DELIVERY_TIMEOUT)
            })
            .await
            .map_err(|error| self.client_error(error))?;
            current.started = true;
        }
        producer
            .begin_transaction()
            .map_err(|error| self.client_error(error))?;
        // Enqueued in log order, all before waiting on any: the idempotent producer keeps that
        // order within each partition, retries included.
        let mut deliveries = Vec::with_capacity(entries.len());
        for entry in entries {
            let envelope = &entry.envelope;
            let topic = self.config.topic(&envelope.aggregate_type);
            let value = serde_json::to_vec(envelope).map_err(|error| KafkaError::Settings {
                brokers: self.config.brokers.clone(),
                reason: format!("cannot encode event {}: {error}", envelope.event_id),
            })?;
            let record = FutureRecord::to(&topic)
                .key(&envelope.aggregate_id)
                .payload(&value)
                .headers(headers(envelope));
            let delivery = producer
                .send_result(record)
                .map_err(|(error, _)| self.client_error(error))?;
            deliveries.push(delivery);
        }
        for delivery in deliveries {
            match delivery.await {
                Ok(Ok(_)) => {}
                Ok(Err((error, _))) => return Err(self.client_error(error)),
                Err(_canceled) => {
                    return Err(self.client_error(rdkafka::error::KafkaError::Canceled));
                }
            }
        }
        off_runtime(producer, |producer| {
            producer.commit_transaction(DELIVERY_TIMEOUT)
        })
        .await
        .map_err(|error| self.client_error(error))
    }
}

/// An idempotent, transactional producer under the config's transactional id.
fn producer(config: &KafkaConfig) -> Result<FutureProducer, KafkaError> {
    config
        .client()
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "2")
        .set("transactional.id", config.transactional_id())
        .set(
            "transaction.timeout.ms",
            (2 * DELIVERY_TIMEOUT).as_millis().to_string(),
        )
        .set(
            "message.timeout.ms",
            DELIVERY_TIMEOUT.as_millis().to_string(),
        )
        .create()
        .map_err(|source| KafkaError::Client {
            brokers: config.brokers.clone(),
            source,
        })
}

/// Runs one of the producer's blocking calls on a thread of its own.
async fn off_runtime(
    producer: &FutureProducer,
    call: impl FnOnce(&FutureProducer) -> rdkafka::error::KafkaResult<()> + Send + 'static,
) -> rdkafka::error::KafkaResult<()> {
    let producer = producer.clone();
    tokio::task::spawn_blocking(move || call(&producer))
        .await
        .unwrap_or(Err(rdkafka::error::KafkaError::Canceled))
}

#[async_trait]
impl Sink for KafkaSink {
    async fn deliver(&self, entries: &[LogEntry]) -> Result<(), BusError> {
        let bus_error = |error: KafkaError| BusError(Box::new(error));
        let mut topics: Vec<String> = entries
            .iter()
            .map(|entry| self.config.topic(&entry.envelope.aggregate_type))
            .collect();
        topics.sort();
        topics.dedup();
        self.topics.ensure(&topics).await.map_err(bus_error)?;

        // Taken out while in use: a delivery cut off (its future dropped) or failed leaves no
        // producer behind, so the next batch starts a new one, whose start aborts whatever
        // transaction this one left open.
        let mut slot = self.producer.lock().await;
        let mut current = match slot.take() {
            Some(current) => current,
            None => Transactional {
                producer: producer(&self.config).map_err(bus_error)?,
                started: false,
            },
        };
        match self.transact(&mut current, entries).await {
            Ok(()) => {
                *slot = Some(current);
                Ok(())
            }
            Err(error) => {
                // Closing waits for the brokers: not on the async runtime.
                std::thread::spawn(move || drop(current));
                Err(bus_error(error))
            }
        }
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
