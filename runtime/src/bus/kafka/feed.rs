//! Kafka as a feed: each projection consumes the aggregates' topics in a consumer group of its
//! own, so several processes running the same projection share the partitions and take over
//! each other's when one stops.

use std::time::Duration;

use async_trait::async_trait;
use rdkafka::Message as _;
use rdkafka::consumer::{BaseConsumer, Consumer, StreamConsumer};
use rdkafka::message::OwnedMessage;
use rdkafka::producer::FutureProducer;
use rdkafka::{Offset, TopicPartitionList};

use super::dead_letter;
use super::topics::Topics;
use super::{KafkaConfig, KafkaError};
use crate::engine::feed::{Delivery, Feed, FeedError, Marks, Subscription};
use crate::event::EventEnvelope;
use crate::store::Cursor;

/// The most records handed over, and applied in one read-store transaction, at once.
const BATCH: usize = 256;
/// How long a consumer waits with nothing to take before it records how far it has read: past
/// the marker that ends each of the relay's transactions, which is never handed over as a
/// record. Without that, the group's committed offset would stay one short of the end of each
/// partition, and the projection would show 1 behind for ever.
const IDLE: Duration = Duration::from_secs(1);

/// The topics of a service's aggregates, as a [`Feed`] for the projection engine.
///
/// A record's offset is stored for commit only once the engine acknowledges it (its event is
/// applied, or set aside), so a crash or rebalance redelivers, and the read store's
/// per-aggregate marks skip what was applied already. An event that can never apply is set aside
/// in the projection's dead-letter topic, `{prefix}dead-letter.{projection}`, with the error and
/// where it came from in its headers.
#[derive(Debug, Clone)]
pub struct KafkaFeed {
    config: KafkaConfig,
    aggregate_types: Vec<String>,
}

impl KafkaFeed {
    /// The topics of `aggregate_types`, which the outbox relay publishes to.
    pub fn new(
        config: KafkaConfig,
        aggregate_types: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            config,
            aggregate_types: aggregate_types.into_iter().map(Into::into).collect(),
        }
    }

    fn client_error(&self) -> impl Fn(rdkafka::error::KafkaError) -> KafkaError + '_ {
        |source| KafkaError::Client {
            brokers: self.config.brokers.clone(),
            source,
        }
    }

    /// The records `projection`'s consumer group has yet to take: for every partition, the
    /// end of the partition less the group's committed offset (or less its start, before the
    /// group's first commit).
    fn group_lag(&self, projection: &str) -> Result<u64, KafkaError> {
        let timeout = Duration::from_secs(10);
        let consumer: BaseConsumer = self
            .config
            .client()
            .set("group.id", self.config.group(projection))
            .create()
            .map_err(self.client_error())?;
        let mut partitions = TopicPartitionList::new();
        for aggregate_type in &self.aggregate_types {
            let topic = self.config.topic(aggregate_type);
            let metadata = consumer
                .fetch_metadata(Some(&topic), timeout)
                .map_err(self.client_error())?;
            // A topic nothing was published to yet has no partitions, and nothing to take.
            for found in metadata.topics().iter().filter(|t| t.error().is_none()) {
                for partition in found.partitions() {
                    partitions.add_partition(found.name(), partition.id());
                }
            }
        }
        let committed = consumer
            .committed_offsets(partitions, timeout)
            .map_err(self.client_error())?;
        let mut lag = 0;
        for element in committed.elements() {
            let (low, high) = consumer
                .fetch_watermarks(element.topic(), element.partition(), timeout)
                .map_err(self.client_error())?;
            let taken = match element.offset() {
                Offset::Offset(offset) => offset,
                _ => low,
            };
            lag += (high - taken).max(0).unsigned_abs();
        }
        Ok(lag)
    }
}

#[async_trait]
impl Feed for KafkaFeed {
    fn marks(&self) -> Marks {
        Marks::PerAggregate
    }

    /// A consumer in `projection`'s group; it starts from the group's committed offsets, or
    /// the start of each partition before the group's first commit.
    async fn subscribe(
        &self,
        projection: &str,
        _after: Cursor,
    ) -> Result<Box<dyn Subscription>, FeedError> {
        let config = &self.config;
        let topics: Vec<String> = self
            .aggregate_types
            .iter()
            .map(|aggregate_type| config.topic(aggregate_type))
            .collect();
        let dead_letters = config.dead_letter_topic(projection);
        let mut all = topics.clone();
        all.push(dead_letters.clone());
        // Subscribing to a missing topic waits for it silently; creating it makes a projector
        // started before the first command ready at once.
        Topics::new(config)?.ensure(&all).await?;
        let consumer: StreamConsumer = config
            .client()
            .set("group.id", config.group(projection))
            .set("enable.auto.commit", "true")
            // Offsets are stored by hand, once acknowledged: only those are committed.
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            // librdkafka's default, said here since the relay's batches depend on it: a batch
            // is seen whole once committed, and never if aborted.
            .set("isolation.level", "read_committed")
            .set("partition.assignment.strategy", "cooperative-sticky")
            // A projector that dies without leaving the group keeps its partitions this long;
            // Kafka's 45 s default would stall those partitions for most of a minute.
            .set("session.timeout.ms", "10000")
            .create()
            .map_err(self.client_error())?;
        let producer: FutureProducer = config
            .client()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .create()
            .map_err(self.client_error())?;
        let subscribed: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer
            .subscribe(&subscribed)
            .map_err(self.client_error())?;
        Ok(Box::new(KafkaSubscription {
            consumer: OffRuntime(Some(consumer)),
            producer: OffRuntime(Some(producer)),
            config: config.clone(),
            projection: projection.to_owned(),
            dead_letters,
            batch: Vec::new(),
        }))
    }

    async fn behind(&self, projection: &str, _checkpoint: Cursor) -> Result<u64, FeedError> {
        let feed = self.clone();
        let projection = projection.to_owned();
        tokio::task::spawn_blocking(move || feed.group_lag(&projection))
            .await
            .map_err(FeedError::new)?
            .map_err(FeedError::new)
    }
}

/// One projection's consumer.
struct KafkaSubscription {
    consumer: OffRuntime<StreamConsumer>,
    /// Where poison records go.
    producer: OffRuntime<FutureProducer>,
    config: KafkaConfig,
    projection: String,
    dead_letters: String,
    /// The records of the last batch, until they are acknowledged.
    batch: Vec<OwnedMessage>,
}

/// A Kafka client dropped on a thread of its own. Closing a consumer leaves its group, which
/// waits for the broker for as long as the broker is away: dropped on the async runtime, it
/// would hold a runtime thread all that time, and with it the tasks queued there (commands
/// included, in a process that also serves them).
struct OffRuntime<T: Send + 'static>(Option<T>);

impl<T: Send + 'static> std::ops::Deref for OffRuntime<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.0.as_ref().expect("taken only when dropped")
    }
}

impl<T: Send + 'static> Drop for OffRuntime<T> {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            std::thread::spawn(move || drop(client));
        }
    }
}

impl KafkaSubscription {
    /// Stores the consumer's position in each of its partitions, once every record it handed
    /// over is acknowledged: the position is then past those and past any transaction marker
    /// after them, and before anything not handed over yet.
    fn store_positions(&self) -> Result<(), FeedError> {
        if !self.batch.is_empty() {
            return Ok(());
        }
        let positions = self.consumer.position().map_err(|e| self.client_error(e))?;
        let mut read = TopicPartitionList::new();
        for element in positions.elements() {
            // A partition nothing was read from yet has no position.
            if let Offset::Offset(offset) = element.offset() {
                read.add_partition_offset(
                    element.topic(),
                    element.partition(),
                    Offset::Offset(offset),
                )
                .map_err(|e| self.client_error(e))?;
            }
        }
        if read.count() > 0 {
            self.consumer
                .store_offsets(&read)
                .map_err(|e| self.client_error(e))?;
        }
        Ok(())
    }

    fn client_error(&self, source: rdkafka::error::KafkaError) -> FeedError {
        FeedError::new(KafkaError::Client {
            brokers: self.config.brokers.clone(),
            source,
        })
    }
}

#[async_trait]
impl Subscription for KafkaSubscription {
    async fn next_batch(&mut self) -> Result<Vec<Delivery>, FeedError> {
        let first = loop {
            match tokio::time::timeout(IDLE, self.consumer.recv()).await {
                Ok(message) => break message,
                Err(_idle) => self.store_positions()?,
            }
        };
        self.batch = vec![first.map_err(|e| self.client_error(e))?.detach()];
        // The records already waiting go with the first: one read-store transaction for all.
        while self.batch.len() < BATCH {
            match tokio::time::timeout(Duration::ZERO, self.consumer.recv()).await {
                Ok(message) => {
                    let message = message.map_err(|e| self.client_error(e))?;
                    self.batch.push(message.detach());
                }
                Err(_) => break,
            }
        }
        Ok(self
            .batch
            .iter()
            .map(|message| Delivery {
                event: serde_json::from_slice::<EventEnvelope>(message.payload().unwrap_or(&[]))
                    .map_err(|error| format!("not an event envelope: {error}")),
                cursor: None,
            })
            .collect())
    }

    async fn ack(&mut self) -> Result<(), FeedError> {
        for message in std::mem::take(&mut self.batch) {
            self.consumer
                .store_offset(message.topic(), message.partition(), message.offset())
                .map_err(|e| self.client_error(e))?;
        }
        Ok(())
    }

    async fn dead_letter(&mut self, index: usize, reason: &str) -> Result<bool, FeedError> {
        let Some(message) = self.batch.get(index) else {
            return Ok(false);
        };
        dead_letter::publish(
            &self.producer,
            &self.dead_letters,
            &self.projection,
            message,
            reason,
        )
        .await
        .map_err(|e| self.client_error(e))?;
        Ok(true)
    }
}
