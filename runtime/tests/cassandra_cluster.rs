//! The three-node Cassandra cluster `scripts/services.sh` starts (logins required), in a test
//! binary of its own since it kills nodes. The read store's keyspace has three replicas and is
//! written at the default consistency, `LOCAL_QUORUM`: with one node killed (SIGKILL) under
//! load the projection keeps applying, and once the node is back the read model equals an
//! independent fold of the event store: nothing lost, nothing applied twice. Progress and
//! rates are printed (`--nocapture`).
#![cfg(all(feature = "cassandra", feature = "sqlite"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use eventwright::ProjectionEngine;
use eventwright::store::cassandra::{self, CassandraConfig, CassandraReadStore};
use eventwright::store::{Cursor, ReadStore};

mod common;

use common::*;

/// Counters the load bumps, `c0..`.
const COUNTERS: usize = 20;
/// About what the projection applies on three nodes sharing this machine's two cores, each
/// event a compare-and-set (Paxos) on three replicas.
const LOAD: SteadyLoad = SteadyLoad {
    counters: COUNTERS,
    rate: 25,
    tasks: 4,
};
/// The node killed: not the first contact point, which the driver only needs at connect.
const KILLED: u8 = 2;

/// Taken by each test for its whole run: one test's failures must not land in another's.
static CLUSTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The cluster's URL for keyspace `keyspace`, logged in as its user, with `settings` after `?`.
fn cluster_url(password: &str, keyspace: &str, settings: &str) -> String {
    format!(
        "cassandra://{}:{password}@{}/{keyspace}?{settings}",
        service_env("EVENTWRIGHT_CASSANDRA_CLUSTER_USER"),
        service_env("EVENTWRIGHT_CASSANDRA_CLUSTER"),
    )
}

fn scratch_keyspace() -> String {
    format!("t{}", uuid::Uuid::new_v4().simple())
}

/// How many events a second the projection applies, over `window`.
async fn applied_per_second(read: &dyn ReadStore, window: Duration) -> f64 {
    let (before, from) = (applied(read).await, Instant::now());
    tokio::time::sleep(window).await;
    (applied(read).await - before) as f64 / from.elapsed().as_secs_f64()
}

/// How many events the Tally rows show applied, over the rows the store can read now.
async fn applied(read: &dyn ReadStore) -> i64 {
    tallies(read, COUNTERS)
        .await
        .into_iter()
        .flatten()
        .filter_map(|(events, _)| events.as_i64())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_replica_stops_neither_projection_nor_loses_an_event() {
    let _alone = CLUSTER.lock().await;
    let _cluster = RunningCluster::start("cassandra-cluster").await;
    let password = service_env("EVENTWRIGHT_CASSANDRA_CLUSTER_PASSWORD");
    let config = CassandraConfig::from_url(&cluster_url(
        &password,
        &scratch_keyspace(),
        "replication_factor=3",
    ))
    .unwrap();
    let read: Arc<dyn ReadStore> = Arc::new(CassandraReadStore::new(
        cassandra::connect(&config).await.unwrap(),
        config,
    ));
    let dir = tempfile::tempdir().unwrap();
    let (events, bus, dispatcher) = sqlite_commands(dir.path(), Duration::from_millis(50)).await;
    let engine = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>()
        .with_retry_delay(Duration::from_millis(200));
    engine.prepare().await.unwrap();
    let projecting = engine.spawn();
    start_counters(&dispatcher, COUNTERS).await;

    let running = Arc::new(AtomicBool::new(true));
    let accepted = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let load = LOAD.spawn(&dispatcher, &running, &accepted);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rate_up = applied_per_second(read.as_ref(), Duration::from_secs(6)).await;
    services_blocking(format!("cassandra-node-kill {KILLED}")).await;
    let killed = start.elapsed();
    // The other nodes take some seconds to see the node gone; from then on, writes and reads
    // at LOCAL_QUORUM go to the two replicas left.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let rate_down = applied_per_second(read.as_ref(), Duration::from_secs(8)).await;
    services_blocking(format!("cassandra-node-start {KILLED}")).await;
    let restarted = start.elapsed();
    let end = (restarted + Duration::from_secs(10)).max(Duration::from_secs(30));
    tokio::time::sleep(end.saturating_sub(start.elapsed())).await;
    running.store(false, Ordering::SeqCst);
    let ran = start.elapsed();
    for task in load {
        task.await.expect("every command succeeded");
    }
    let accepted = accepted.load(Ordering::SeqCst);

    let log = events.read_all(Cursor::START, 1_000_000).await.unwrap();
    assert_eq!(log.len(), accepted + COUNTERS);
    let expected = folded_tallies(&log, COUNTERS);
    let caught_up_in = Instant::now();
    let caught_up = tokio::time::timeout(Duration::from_secs(180), async {
        while tallies(read.as_ref(), COUNTERS).await != expected {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let caught_up_in = caught_up_in.elapsed();
    println!(
        "cassandra cluster: {accepted} commands in {ran:.1?} ({:.0}/s), node {KILLED} killed at \
         {killed:.1?} and back at {restarted:.1?}; events applied {rate_up:.0}/s with all nodes up, \
         {rate_down:.0}/s with one down; read model equal to the fold {caught_up_in:.1?} after \
         the load ended",
        accepted as f64 / ran.as_secs_f64(),
    );
    assert!(
        caught_up.is_ok(),
        "after the restart the rows are {:?}, not {expected:?}",
        tallies(read.as_ref(), COUNTERS).await
    );
    assert!(
        rate_down > 0.0,
        "the projection stood still while one replica of three was down"
    );
    for task in projecting {
        task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_is_required_and_a_wrong_password_is_never_shown() {
    let _alone = CLUSTER.lock().await;
    let _cluster = RunningCluster::start("cassandra-cluster").await;
    let keyspace = scratch_keyspace();
    let password = service_env("EVENTWRIGHT_CASSANDRA_CLUSTER_PASSWORD");
    let right = CassandraConfig::from_url(&cluster_url(&password, &keyspace, "")).unwrap();
    let session = cassandra::connect(&right)
        .await
        .expect("the cluster's user logs in");
    session
        .query_unpaged("SELECT release_version FROM system.local", ())
        .await
        .expect("a logged-in session answers");

    let wrong = "not-the-password-4f1c";
    let refused = CassandraConfig::from_url(&cluster_url(wrong, &keyspace, "")).unwrap();
    let error = cassandra::connect(&refused).await.unwrap_err().to_string();
    println!("a wrong password: {error}");
    assert!(
        error.contains("refused the login of user `eventwright`") && !error.contains(wrong),
        "{error}"
    );
    let shown = format!("{refused:?}");
    assert!(!shown.contains(wrong), "{shown}");

    let anonymous = CassandraConfig::new(
        service_env("EVENTWRIGHT_CASSANDRA_CLUSTER"),
        keyspace.as_str(),
    );
    let error = cassandra::connect(&anonymous)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("refused the login (the URL names no user"),
        "{error}"
    );
}
