//! The relay publishes each batch in a Kafka transaction: a relay that hangs or dies with a
//! batch open (a zombie) is fenced off by the next one to start, its open batch is aborted and
//! never reaches a projection, and the projections' consumer groups still come back to 0
//! behind once they have taken everything, despite the markers that end each transaction.
#![cfg(all(feature = "kafka", feature = "sqlite"))]

use std::sync::Arc;
use std::time::Duration;

use eventwright::bus::kafka::{KafkaConfig, KafkaFeed, KafkaSink};
use eventwright::engine::feed::Feed as _;
use eventwright::event::EventEnvelope;
use eventwright::relay::OutboxRelay;
use eventwright::store::sqlite::{self, SqliteReadStore};
use eventwright::store::{Cursor, ReadStore};
use eventwright::{Metadata, Projection, ProjectionEngine};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::{Message as _, Offset, TopicPartitionList};
use serde_json::json;

mod common;

use common::*;

const COUNTERS: usize = 4;

/// Records of an aggregate the event store never held: seen by a projection, they would make
/// a Tally row of their own.
const GHOST: &str = "ghost";

/// The topic of the counters' events, created here so the zombie can write to it first.
async fn create_topic(config: &KafkaConfig) {
    let admin: AdminClient<_> = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .create()
        .unwrap();
    let topic = config.topic("Counter");
    let created = admin
        .create_topics(
            [&NewTopic::new(&topic, 3, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .unwrap();
    assert!(created.iter().all(Result::is_ok), "{created:?}");
}

/// A relay's producer under the service's transactional id that opened a batch of ghost
/// events, sent it, and then stopped answering before committing.
async fn zombie(config: &KafkaConfig) -> FutureProducer {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("transactional.id", config.transactional_id())
        .create()
        .unwrap();
    producer.init_transactions(Duration::from_secs(30)).unwrap();
    producer.begin_transaction().unwrap();
    for sequence in 1..=3 {
        let envelope = EventEnvelope::from_new(new_event(GHOST, sequence), sequence);
        let payload = serde_json::to_vec(&envelope).unwrap();
        producer
            .send(
                FutureRecord::to(&config.topic("Counter"))
                    .key(GHOST)
                    .payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
    producer
}

/// How many ghost records the topic holds, committed or not.
fn ghosts_written(config: &KafkaConfig) -> usize {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("group.id", format!("{}uncommitted", config.topic_prefix))
        .set("isolation.level", "read_uncommitted")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let topic = config.topic("Counter");
    let mut partitions = TopicPartitionList::new();
    for partition in 0..3 {
        partitions
            .add_partition_offset(&topic, partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&partitions).unwrap();
    let mut ghosts = 0;
    while let Some(message) = consumer.poll(Duration::from_secs(3)) {
        ghosts += usize::from(message.unwrap().key() == Some(GHOST.as_bytes()));
    }
    ghosts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_zombie_relays_open_batch_is_never_applied_and_the_groups_end_0_behind() {
    let config = KafkaConfig::new(
        service_env("EVENTWRIGHT_KAFKA_BROKERS"),
        format!("t{}.", uuid::Uuid::new_v4().simple()),
    );
    create_topic(&config).await;
    let zombie = zombie(&config).await;

    let dir = tempfile::tempdir().unwrap();
    let (events, log, dispatcher) = sqlite_commands(dir.path(), Duration::from_millis(50)).await;
    let url = format!("sqlite://{}", dir.path().join("views.db").display());
    let read: Arc<dyn ReadStore> =
        Arc::new(SqliteReadStore::new(sqlite::connect(&url).await.unwrap()));
    let feed = Arc::new(KafkaFeed::new(config.clone(), ["Counter"]));
    let projectors = ProjectionEngine::new(
        Arc::clone(&read),
        Arc::clone(&events),
        Arc::clone(&feed) as _,
    )
    .with::<Tally>()
    .with_retry_delay(Duration::from_millis(100));
    projectors.prepare().await.unwrap();
    let consuming = projectors.spawn();
    let relay = OutboxRelay::new(
        "kafka",
        Arc::clone(&events),
        log.clone(),
        Arc::new(KafkaSink::new(&config).unwrap()),
    );

    start_counters(&dispatcher, COUNTERS).await;
    for n in 0..COUNTERS * 10 {
        let bump = Bump {
            id: format!("c{}", n % COUNTERS),
        };
        dispatcher
            .dispatch(bump, Metadata::default())
            .await
            .unwrap();
    }
    // The relay's first batch starts its transactions, which fences the zombie off and
    // aborts its open batch.
    assert_eq!(relay.relay_pending().await.unwrap(), COUNTERS * 11);
    let fenced =
        tokio::task::spawn_blocking(move || zombie.commit_transaction(Duration::from_secs(10)))
            .await
            .unwrap();
    assert!(fenced.is_err(), "the zombie committed its batch after all");

    let all = events.read_all(Cursor::START, 10_000).await.unwrap();
    let expected = folded_tallies(&all, COUNTERS);
    let caught_up = tokio::time::timeout(Duration::from_secs(60), async {
        while tallies(read.as_ref(), COUNTERS).await != expected {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        caught_up.is_ok(),
        "{:?}",
        tallies(read.as_ref(), COUNTERS).await
    );
    let ghost = read.get(&Tally::SCHEMA, &json!(GHOST)).await.unwrap();
    assert_eq!(ghost, None, "an aborted batch reached the projection");
    // The ghosts are in the topic all the same: only the transaction keeps them out.
    let config_ = config.clone();
    let written = tokio::task::spawn_blocking(move || ghosts_written(&config_))
        .await
        .unwrap();
    assert_eq!(written, 3);

    // Committed offsets end one short of each partition's end, at the transaction marker, until
    // the consumer, with nothing more to take, records its position past it.
    let settled = tokio::time::timeout(Duration::from_secs(30), async {
        while feed.behind(Tally::NAME, Cursor::START).await.unwrap() != 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    assert!(
        settled.is_ok(),
        "the group stays {} behind",
        feed.behind(Tally::NAME, Cursor::START).await.unwrap()
    );
    for task in consuming {
        task.abort();
    }
}

/// The sink's readiness probe asks through a client the sink keeps: asked again and again while
/// the relay publishes, it answers and no batch fails; with no broker there, it fails within
/// its bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_readiness_probe_answers_while_batches_are_published() {
    let config = KafkaConfig::new(
        service_env("EVENTWRIGHT_KAFKA_BROKERS"),
        format!("t{}.", uuid::Uuid::new_v4().simple()),
    );
    let dir = tempfile::tempdir().unwrap();
    let (events, log, dispatcher) = sqlite_commands(dir.path(), Duration::from_millis(50)).await;
    let sink = Arc::new(KafkaSink::new(&config).unwrap());
    let relay = OutboxRelay::new("kafka", Arc::clone(&events), log.clone(), sink.clone());
    start_counters(&dispatcher, COUNTERS).await;
    let probing = {
        let sink = Arc::clone(&sink);
        tokio::spawn(async move {
            for _ in 0..20 {
                sink.ping().await.unwrap();
            }
        })
    };
    let mut relayed = relay.relay_pending().await.unwrap();
    for _ in 0..5 {
        bump_counters(&dispatcher, COUNTERS).await;
        relayed += relay.relay_pending().await.unwrap();
    }
    probing.await.unwrap();
    assert_eq!(relayed, COUNTERS * 6);

    let nowhere = KafkaSink::new(&KafkaConfig::new("127.0.0.1:9", "t.")).unwrap();
    let asked = std::time::Instant::now();
    assert!(nowhere.ping().await.is_err(), "no broker listens there");
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
}
