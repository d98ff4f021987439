//! Kafka stopped for 20 s under command load, in a test binary of its own so no other test
//! sees the outage: commands keep succeeding, because the outbox holds their events, and once
//! Kafka is back the projections catch up to exactly a fold of the event store.
#![cfg(all(feature = "kafka", feature = "sqlite"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::bus::kafka::{KafkaConfig, KafkaFeed, KafkaSink};
use eventwright::relay::OutboxRelay;
use eventwright::store::sqlite::{self, SqliteEventStore, SqliteReadStore};
use eventwright::store::{Cursor, EventStore, ReadStore};
use eventwright::{Dispatcher, Metadata, Projection, ProjectionEngine};
use serde_json::json;

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_go_on_through_a_kafka_outage_and_projections_catch_up_after() {
    let brokers = service_env("EVENTWRIGHT_KAFKA_BROKERS");
    let config = KafkaConfig::new(brokers, format!("t{}.", uuid::Uuid::new_v4().simple()));
    let dir = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let events: Arc<dyn EventStore> = Arc::new(SqliteEventStore::new(
        sqlite::connect(&url("events.db")).await.unwrap(),
    ));
    events.prepare().await.unwrap();
    let read: Arc<dyn ReadStore> = Arc::new(SqliteReadStore::new(
        sqlite::connect(&url("views.db")).await.unwrap(),
    ));
    let log = InProcBus::new(Arc::clone(&events)).with_poll_interval(Duration::from_millis(50));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(log.clone()));
    let relay = OutboxRelay::new(
        "kafka",
        Arc::clone(&events),
        log,
        Arc::new(KafkaSink::new(&config).unwrap()),
    )
    .with_retry_delay(Duration::from_millis(500));
    let projectors = ProjectionEngine::new(
        Arc::clone(&read),
        Arc::clone(&events),
        Arc::new(KafkaFeed::new(config, ["Counter"])),
    )
    .with::<Tally>()
    .with::<Total>()
    .with_retry_delay(Duration::from_millis(200));
    projectors.prepare().await.unwrap();
    let mut tasks = projectors.spawn();
    tasks.push(relay.spawn());

    let counters = 8;
    start_counters(&dispatcher, counters).await;
    let running = Arc::new(AtomicBool::new(true));
    let accepted = Arc::new(AtomicUsize::new(counters));
    let load = {
        let (dispatcher, running, accepted) =
            (dispatcher.clone(), running.clone(), accepted.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while running.load(Ordering::SeqCst) {
                let bump = Bump {
                    id: format!("c{}", n % counters),
                };
                dispatcher
                    .dispatch(bump, Metadata::default())
                    .await
                    .expect("a command succeeds while Kafka is down");
                accepted.fetch_add(1, Ordering::SeqCst);
                n += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    tokio::time::sleep(Duration::from_secs(3)).await;
    services_blocking("kafka-stop".into()).await;
    let during = accepted.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert!(
        accepted.load(Ordering::SeqCst) > during + 100,
        "commands went on while Kafka was down"
    );
    services_blocking("kafka-start".into()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    running.store(false, Ordering::SeqCst);
    load.await.unwrap();

    // The fold of the event store: every counter's events and its last value.
    let log = events.read_all(Cursor::START, 1_000_000).await.unwrap();
    assert_eq!(log.len(), accepted.load(Ordering::SeqCst));
    let expected = folded_tallies(&log, counters);
    let rows = || async {
        let total = read.get(&Total::SCHEMA, &json!("all")).await.unwrap();
        (
            tallies(read.as_ref(), counters).await,
            total.map(|row| row["events"].clone()),
        )
    };
    let caught_up = tokio::time::timeout(Duration::from_secs(120), async {
        while rows().await != (expected.clone(), Some(json!(log.len()))) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        caught_up.is_ok(),
        "after the outage the projections are {:?}, not {expected:?} and {}",
        rows().await,
        log.len()
    );
    for task in tasks {
        task.abort();
    }
}
