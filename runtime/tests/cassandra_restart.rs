//! Cassandra restarted under load, in a test binary of its own so no other test sees the
//! outage: commands go on (they only touch the event store), the projection runner retries
//! while Cassandra is down, and afterwards every row equals a fold of the event store.
#![cfg(all(feature = "cassandra", feature = "sqlite"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::store::cassandra::{self, CassandraConfig, CassandraReadStore};
use eventwright::store::sqlite::{self, SqliteEventStore};
use eventwright::store::{Cursor, EventStore, ReadStore};
use eventwright::{Dispatcher, Metadata, ProjectionEngine};

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn projections_catch_up_after_cassandra_restarts_under_load() {
    let nodes = std::env::var("EVENTWRIGHT_CASSANDRA_NODES").unwrap_or_else(|_| {
        panic!(
            "EVENTWRIGHT_CASSANDRA_NODES is not set: start Cassandra with `scripts/services.sh up`"
        )
    });
    let config = CassandraConfig::new(nodes, format!("t{}", uuid::Uuid::new_v4().simple()));
    let read: Arc<dyn ReadStore> = Arc::new(CassandraReadStore::new(
        cassandra::connect(&config).await.unwrap(),
        config,
    ));
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    let events: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::new(sqlite::connect(&url).await.unwrap()));
    events.prepare().await.unwrap();
    let bus = InProcBus::new(Arc::clone(&events)).with_poll_interval(Duration::from_millis(100));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    let runner = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>()
        .with_retry_delay(Duration::from_millis(500));
    runner.prepare().await.unwrap();
    let projecting = runner.spawn();

    let counters = 6;
    for n in 0..counters {
        let start = Start {
            id: format!("c{n}"),
        };
        dispatcher
            .dispatch(start, Metadata::default())
            .await
            .unwrap();
    }
    let running = Arc::new(AtomicBool::new(true));
    let load = {
        let (dispatcher, running) = (dispatcher.clone(), running.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while running.load(Ordering::SeqCst) {
                let bump = Bump {
                    id: format!("c{}", n % counters),
                };
                dispatcher
                    .dispatch(bump, Metadata::default())
                    .await
                    .expect("commands never need the read store");
                n += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::spawn_blocking(|| services("cassandra-stop"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    tokio::task::spawn_blocking(|| services("cassandra-start"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    running.store(false, Ordering::SeqCst);
    load.await.unwrap();

    let log = events.read_all(Cursor::START, 1_000_000).await.unwrap();
    let expected = folded_tallies(&log, counters);
    let rows = || tallies(read.as_ref(), counters);
    let caught_up = tokio::time::timeout(Duration::from_secs(180), async {
        while rows().await != expected {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    assert!(
        caught_up.is_ok(),
        "after the restart the rows are {:?}, not {expected:?}",
        rows().await
    );
    for task in projecting {
        task.abort();
    }
}
