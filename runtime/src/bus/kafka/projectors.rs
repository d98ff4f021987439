//! Projections fed from Kafka, in consumer groups.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::Message as _;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Header, Headers as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use tokio::task::JoinHandle;

use super::topics::Topics;
use super::{KafkaConfig, KafkaError};
use crate::event::EventEnvelope;
use crate::projection::Projection;
use crate::rebuild::{Marks, OnPoison, replay};
use crate::runner::{Projector, prepare_active, projector};
use crate::store::generation::{self, AtGeneration};
use crate::store::{EventStore, Mark, ReadStore};

/// The most records applied in one read-store transaction.
const BATCH: usize = 256;

/// Runs a service's projections from Kafka: one consumer per projection, in the consumer group
/// [`KafkaConfig::group`], so several processes running the same projections share the
/// partitions and take over each other's when one stops.
///
/// A record's offset is stored for commit only after its event is applied (or dead-lettered),
/// so a crash or rebalance redelivers, and the read store's per-aggregate marks skip what was
/// applied already. A store that is down is waited for, never skipped; an event that can never
/// apply ([`ProjectionError::is_poison`]) is tried [`KafkaConfig::poison_attempts`] times, then
/// published to the projection's dead-letter topic with the error, and the projection goes on.
#[derive(Clone)]
pub struct KafkaProjectors {
    config: KafkaConfig,
    store: Arc<dyn ReadStore>,
    /// Where a rebuilt generation catches up from, before it takes records.
    events: Arc<dyn EventStore>,
    aggregate_types: Vec<String>,
    projectors: Vec<Arc<dyn Projector>>,
    retry_delay: Duration,
}

impl std::fmt::Debug for KafkaProjectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.projectors.iter().map(|p| p.name()).collect();
        f.debug_struct("KafkaProjectors")
            .field("brokers", &self.config.brokers)
            .field("projections", &names)
            .finish_non_exhaustive()
    }
}

impl KafkaProjectors {
    /// Projectors reading the topics of `aggregate_types` into `store`; `events` is the event
    /// store the relay publishes from.
    pub fn new(
        config: KafkaConfig,
        store: Arc<dyn ReadStore>,
        events: Arc<dyn EventStore>,
        aggregate_types: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            config,
            store,
            events,
            aggregate_types: aggregate_types.into_iter().map(Into::into).collect(),
            projectors: Vec::new(),
            retry_delay: Duration::from_secs(1),
        }
    }

    /// Adds a projection.
    pub fn with<P: Projection>(mut self) -> Self {
        self.projectors.push(projector::<P>());
        self
    }

    /// How long to wait before trying again after a failure that may pass.
    pub fn with_retry_delay(mut self, retry_delay: Duration) -> Self {
        self.retry_delay = retry_delay;
        self
    }

    /// Creates the shared tables and each projection's table in its active generation.
    pub async fn prepare(&self) -> Result<(), crate::store::StoreError> {
        prepare_active(&self.store, &self.projectors).await
    }

    /// How many records each projection's consumer group has yet to take from its topics:
    /// for every partition, the end of the partition less the group's committed offset (or
    /// less its start, before the group's first commit).
    pub async fn lag(&self) -> Result<Vec<(&'static str, i64)>, KafkaError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            this.projectors
                .iter()
                .map(|projector| Ok((projector.name(), this.group_lag(projector.name())?)))
                .collect()
        })
        .await
        .expect("the lag lookup does not panic")
    }

    fn group_lag(&self, projection: &str) -> Result<i64, KafkaError> {
        let config = &self.config;
        let client_error = |source| KafkaError::Client {
            brokers: config.brokers.clone(),
            source,
        };
        let timeout = Duration::from_secs(10);
        let consumer: BaseConsumer = config
            .client()
            .set("group.id", config.group(projection))
            .create()
            .map_err(client_error)?;
        let mut partitions = TopicPartitionList::new();
        for aggregate_type in &self.aggregate_types {
            let topic = config.topic(aggregate_type);
            let metadata = consumer
                .fetch_metadata(Some(&topic), timeout)
                .map_err(client_error)?;
            // A topic nothing was published to yet has no partitions, and nothing to take.
            for found in metadata.topics().iter().filter(|t| t.error().is_none()) {
                for partition in found.partitions() {
                    partitions.add_partition(found.name(), partition.id());
                }
            }
        }
        let committed = consumer
            .committed_offsets(partitions, timeout)
            .map_err(client_error)?;
        let mut lag = 0;
        for element in committed.elements() {
            let (low, high) = consumer
                .fetch_watermarks(element.topic(), element.partition(), timeout)
                .map_err(client_error)?;
            let taken = match element.offset() {
                Offset::Offset(offset) => offset,
                _ => low,
            };
            lag += (high - taken).max(0);
        }
        Ok(lag)
    }

    /// Starts one consumer task per projection; each restarts after a failure.
    pub fn spawn(&self) -> Vec<JoinHandle<()>> {
        self.projectors
            .iter()
            .map(|projector| {
                let consumer = Consumer1 {
                    projector: Arc::clone(projector),
                    projectors: self.clone(),
                };
                tokio::spawn(async move {
                    loop {
                        if let Err(error) = consumer.run().await {
                            tracing::error!(projection = consumer.projector.name(), %error, "kafka projector failed; restarting");
                            tokio::time::sleep(consumer.projectors.retry_delay).await;
                        }
                    }
                })
            })
            .collect()
    }
}

/// One projection's consumer.
struct Consumer1 {
    projector: Arc<dyn Projector>,
    projectors: KafkaProjectors,
}

impl Consumer1 {
    async fn run(&self) -> Result<(), KafkaError> {
        let config = &self.projectors.config;
        let client_error = |source| KafkaError::Client {
            brokers: config.brokers.clone(),
            source,
        };
        let name = self.projector.name();
        let topics: Vec<String> = self
            .projectors
            .aggregate_types
            .iter()
            .map(|aggregate_type| config.topic(aggregate_type))
            .collect();
        let dead_letters = config.dead_letter_topic(name);
        let mut all = topics.clone();
        all.push(dead_letters.clone());
        // Subscribing to a missing topic waits for it silently; creating it makes a projector
        // started before the first command ready at once.
        Topics::new(config)?.ensure(&all).await?;

        let consumer: StreamConsumer = config
            .client()
            .set("group.id", config.group(name))
            .set("enable.auto.commit", "true")
            // Offsets are stored by hand, after the write: only those are committed.
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("partition.assignment.strategy", "cooperative-sticky")
            // A projector that dies without leaving the group keeps its partitions this long;
            // Kafka's 45 s default would stall those partitions for most of a minute.
            .set("session.timeout.ms", "10000")
            .create()
            .map_err(client_error)?;
        let producer: FutureProducer = config
            .client()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .create()
            .map_err(client_error)?;
        let store = &self.projectors.store;
        let generation = store.active(name).await?;
        let target = AtGeneration::new(Arc::clone(store), generation);
        self.catch_up_after_switch(&target).await?;
        let subscribed: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer.subscribe(&subscribed).map_err(client_error)?;
        loop {
            let mut messages = vec![consumer.recv().await.map_err(client_error)?];
            // The records already waiting go with the first: one read-store transaction for
            // all of them.
            while messages.len() < BATCH {
                match tokio::time::timeout(Duration::ZERO, consumer.recv()).await {
                    Ok(message) => messages.push(message.map_err(client_error)?),
                    Err(_) => break,
                }
            }
            // Checked before each batch: once a rebuild switched, no record is applied to the
            // old generation and marked consumed. Returning leaves the records unstored, for
            // the consumer of the new generation to take again.
            let active = store.active(name).await?;
            if active != generation {
                tracing::info!(
                    projection = name,
                    generation = active,
                    "switching to a rebuilt generation"
                );
                return Ok(());
            }
            if !self.apply_together(&target, &messages).await {
                // One by one, so that an event at fault is retried and dead-lettered alone.
                for message in &messages {
                    if let Some(error) = self.apply(&target, message).await {
                        self.dead_letter(&producer, &dead_letters, message, &error)
                            .await?;
                    }
                    consumer
                        .store_offset_from_message(message)
                        .map_err(client_error)?;
                }
                continue;
            }
            for message in &messages {
                consumer
                    .store_offset_from_message(message)
                    .map_err(client_error)?;
            }
        }
    }

    /// Applies every record's event in one read-store transaction; `false` when a record is not
    /// an event or the transaction failed, and then nothing was written.
    async fn apply_together(
        &self,
        target: &AtGeneration,
        messages: &[BorrowedMessage<'_>],
    ) -> bool {
        let envelopes: Result<Vec<EventEnvelope>, _> = messages
            .iter()
            .map(|message| serde_json::from_slice(message.payload().unwrap_or(&[])))
            .collect();
        let Ok(envelopes) = envelopes else {
            return false;
        };
        let events: Vec<_> = envelopes
            .iter()
            .map(|envelope| (envelope, Mark::delivered(envelope)))
            .collect();
        self.projector.handle_many(target, &events).await.is_ok()
    }

    /// On a rebuilt generation, replays the log from where the rebuild stopped, once per
    /// generation: the consumers of the old generation may have taken records (and stored
    /// their offsets) that the rebuild had not read yet.
    async fn catch_up_after_switch(&self, target: &AtGeneration) -> Result<(), KafkaError> {
        let generation = target.generation();
        let name = self.projector.name();
        let replayed = generation::replayed_marker(name);
        let store = &self.projectors.store;
        if generation == 0 || store.active(&replayed).await? >= generation {
            return Ok(());
        }
        let events = replay(
            self.projectors.events.as_ref(),
            target,
            self.projector.as_ref(),
            Marks::PerAggregate,
            OnPoison::Skip,
            |_, _| {},
        )
        .await?;
        store.activate(&replayed, generation).await?;
        tracing::info!(
            projection = name,
            generation,
            events,
            "rebuilt generation caught up from the log"
        );
        Ok(())
    }

    /// Applies the record's event, waiting out failures that may pass. Returns the error of a
    /// poison event once its attempts are spent.
    async fn apply(&self, target: &AtGeneration, message: &BorrowedMessage<'_>) -> Option<String> {
        let name = self.projector.name();
        let envelope: EventEnvelope = match serde_json::from_slice(message.payload().unwrap_or(&[]))
        {
            Ok(envelope) => envelope,
            Err(error) => return Some(format!("not an event envelope: {error}")),
        };
        let mark = Mark::delivered(&envelope);
        let mut attempts = 0;
        loop {
            match self.projector.handle(target, &envelope, mark).await {
                Ok(_) => return None,
                Err(error) if error.is_poison() => {
                    attempts += 1;
                    if attempts >= self.projectors.config.poison_attempts {
                        tracing::error!(projection = name, event_id = %envelope.event_id, %error, "poison event; sending it to the dead-letter topic");
                        return Some(error.to_string());
                    }
                    tracing::warn!(projection = name, event_id = %envelope.event_id, attempts, %error, "event failed to apply; retrying");
                }
                Err(error) => {
                    tracing::warn!(projection = name, event_id = %envelope.event_id, %error, "cannot apply yet; retrying");
                }
            }
            tokio::time::sleep(self.projectors.retry_delay).await;
        }
    }

    /// Publishes the record as it came to the dead-letter topic, with headers saying where it
    /// came from and why it failed; returns once Kafka has it.
    async fn dead_letter(
        &self,
        producer: &FutureProducer,
        topic: &str,
        message: &BorrowedMessage<'_>,
        error: &str,
    ) -> Result<(), KafkaError> {
        let partition = message.partition().to_string();
        let offset = message.offset().to_string();
        let mut headers = OwnedHeaders::new();
        if let Some(original) = message.headers() {
            for header in original.iter() {
                headers = headers.insert(Header {
                    key: header.key,
                    value: header.value,
                });
            }
        }
        for (key, value) in [
            ("dead_letter.error", error),
            ("dead_letter.projection", self.projector.name()),
            ("dead_letter.topic", message.topic()),
            ("dead_letter.partition", partition.as_str()),
            ("dead_letter.offset", offset.as_str()),
        ] {
            headers = headers.insert(Header {
                key,
                value: Some(value),
            });
        }
        let mut record = FutureRecord::to(topic).headers(headers);
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        if let Some(payload) = message.payload() {
            record = record.payload(payload);
        }
        producer
            .send(record, Duration::from_secs(30))
            .await
            .map_err(|(source, _)| KafkaError::Client {
                brokers: self.projectors.config.brokers.clone(),
                source,
            })?;
        Ok(())
    }
}
