//! Cassandra restarted under load, in a test binary of its own so no other test sees the
//! outage: commands go on (they only touch the event store), the projection runner retries
//! while Cassandra is down, and afterwards every row equals a fold of the event store.
#![cfg(all(feature = "cassandra", feature = "sqlite"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use eventwright::store::cassandra::{self, CassandraConfig, CassandraReadStore};
use eventwright::store::{Cursor, ReadStore};
use eventwright::{Metadata, ProjectionEngine};

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn projections_catch_up_after_cassandra_restarts_under_load() {
    let nodes = service_env("EVENTWRIGHT_CASSANDRA_NODES");
    let config = CassandraConfig::new(nodes, format!("t{}", uuid::Uuid::new_v4().simple()));
    let read: Arc<dyn ReadStore> = Arc::new(CassandraReadStore::new(
        cassandra::connect(&config).await.unwrap(),
        config,
    ));
    let dir = tempfile::tempdir().unwrap();
    let (events, bus, dispatcher) = sqlite_commands(dir.path(), Duration::from_millis(100)).await;
    let runner = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>()
        .with_retry_delay(Duration::from_millis(500));
    runner.prepare().await.unwrap();
    let projecting = runner.spawn();

    let counters = 6;
    start_counters(&dispatcher, counters).await;
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
    services_blocking("cassandra-stop".into()).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    services_blocking("cassandra-start".into()).await;
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
