//! The three-node Kafka cluster `scripts/services.sh` starts (three replicas, two in sync to
//! take a write), in a test binary of its own since it kills nodes: under 1,000 commands a
//! second, the node leading a partition is killed with SIGKILL and restarted, a projector
//! instance leaves its consumer group mid-stream, and a projector process is killed with SIGKILL. No command fails, and the read models end
//! equal to an independent fold of the event store: nothing lost, nothing applied twice. The
//! projection's lag, timed by a probe command every 25 ms, is printed (`--nocapture`): it is
//! not yet back under 200 ms within 10 s of a restart, so it is reported, not asserted.
#![cfg(all(feature = "kafka", feature = "sqlite"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use eventwright::bus::InProcBus;
use eventwright::bus::kafka::{KafkaConfig, KafkaFeed, KafkaSink};
use eventwright::relay::OutboxRelay;
use eventwright::store::sqlite::{self, SqliteEventStore, SqliteReadStore};
use eventwright::store::{Cursor, EventStore, ReadStore};
use eventwright::{Dispatcher, Metadata, Projection, ProjectionEngine};
use rdkafka::config::ClientConfig;
use rdkafka::producer::{BaseProducer, Producer as _};
use serde_json::json;
use tokio::task::JoinHandle;

mod common;

use common::*;

/// Counters the load bumps, `c0..`; the lag probe bumps one more, `c{COUNTERS}`.
const COUNTERS: usize = 40;
/// 1,000 commands a second, over four tasks.
const LOAD: SteadyLoad = SteadyLoad {
    counters: COUNTERS,
    rate: 1000,
    tasks: 4,
};
/// The lag a settled projection shows within; the goal after a restart, at the 99th percentile.
const LAG_BOUND: Duration = Duration::from_millis(200);

/// Taken by each test for its whole run: one test's failures must not land in another's.
static CLUSTER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn cluster() -> String {
    service_env("EVENTWRIGHT_KAFKA_CLUSTER")
}

struct Service {
    dir: tempfile::TempDir,
    config: KafkaConfig,
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
    dispatcher: Dispatcher,
    tasks: Vec<JoinHandle<()>>,
}

impl Service {
    /// Commands on SQLite, relayed to the cluster, and one projector instance consuming.
    async fn start() -> Self {
        let config = KafkaConfig {
            replication: 3,
            ..KafkaConfig::new(cluster(), format!("t{}.", uuid::Uuid::new_v4().simple()))
        };
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
        .with_retry_delay(Duration::from_millis(200));
        let mut service = Self {
            dir,
            config,
            events,
            read,
            dispatcher,
            tasks: vec![relay.spawn()],
        };
        let projector = service.projector();
        projector.prepare().await.unwrap();
        service.tasks.extend(projector.spawn());
        // The load's counters and the probe's.
        start_counters(&service.dispatcher, COUNTERS + 1).await;
        service
    }

    /// A projector instance: its consumers join the projections' consumer groups.
    fn projector(&self) -> ProjectionEngine {
        Self::projector_of(
            Arc::clone(&self.read),
            Arc::clone(&self.events),
            &self.config,
        )
    }

    fn projector_of(
        read: Arc<dyn ReadStore>,
        events: Arc<dyn EventStore>,
        config: &KafkaConfig,
    ) -> ProjectionEngine {
        ProjectionEngine::new(
            read,
            events,
            Arc::new(KafkaFeed::new(config.clone(), ["Counter"])),
        )
        .with::<Tally>()
        .with::<Total>()
        .with_retry_delay(Duration::from_millis(200))
    }

    /// Under the load, `stop`s a second projector instance 5 s in and watches for `watch`
    /// more: no command fails, the read models end equal to the fold, and the probe's lag from
    /// 10 s after the stop is printed.
    async fn lose_a_projector(&mut self, what: &str, stop: impl FnOnce(), watch: Duration) {
        self.warm_up().await;
        let running = Arc::new(AtomicBool::new(true));
        let accepted = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let load = LOAD.spawn(&self.dispatcher, &running, &accepted);
        let probe = self.probe(start, &running);

        tokio::time::sleep(Duration::from_secs(5)).await;
        stop();
        let stopped = start.elapsed();
        tokio::time::sleep(watch).await;
        running.store(false, Ordering::SeqCst);
        for task in load {
            task.await.expect("every command succeeded");
        }
        let lags = probe.await.expect("every probe succeeded");
        let accepted = accepted.load(Ordering::SeqCst);

        self.matches_the_fold(accepted).await;
        let settled: Vec<Duration> = lags
            .iter()
            .filter(|(sent, _)| *sent >= stopped + Duration::from_secs(10))
            .map(|(_, lag)| *lag)
            .collect();
        println!(
            "{what} at {stopped:?}; {accepted} commands, 0 failed; probe lag p99 {:?} from 10 s \
             after; {} probes: {lags:?}",
            (!settled.is_empty()).then(|| p99(&settled)),
            lags.len()
        );
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }

    /// Bumps the probe counter every 25 ms and times each bump until its projection shows
    /// it: (when it was sent, since `start`; how long it took to show).
    fn probe(
        &self,
        start: Instant,
        running: &Arc<AtomicBool>,
    ) -> JoinHandle<Vec<(Duration, Duration)>> {
        let (dispatcher, read, running) = (
            self.dispatcher.clone(),
            Arc::clone(&self.read),
            running.clone(),
        );
        tokio::spawn(async move {
            let mut lags = Vec::new();
            while running.load(Ordering::SeqCst) {
                let sent = Instant::now();
                lags.push((sent - start, probe_once(&dispatcher, &read).await));
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            lags
        })
    }

    /// Waits until the consumer groups have settled: a probe shows within the bound.
    async fn warm_up(&self) {
        let settled = tokio::time::timeout(Duration::from_secs(90), async {
            while probe_once(&self.dispatcher, &self.read).await >= LAG_BOUND {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        assert!(
            settled.is_ok(),
            "the projection never kept up within {LAG_BOUND:?}"
        );
    }

    /// Waits until every Tally row and the Total are what a fold of the event store says.
    async fn matches_the_fold(&self, accepted: usize) {
        let log = self
            .events
            .read_all(Cursor::START, 1_000_000)
            .await
            .unwrap();
        // The starts, the load's bumps and the probe's.
        assert!(log.len() > accepted + COUNTERS, "{} events", log.len());
        let expected = folded_tallies(&log, COUNTERS + 1);
        let rows = || async {
            let total = self.read.get(&Total::SCHEMA, &json!("all")).await.unwrap();
            (
                tallies(self.read.as_ref(), COUNTERS + 1).await,
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
            "the read models are {:?}, not the fold {expected:?} and {}",
            rows().await,
            log.len()
        );
    }
}

/// Bumps the probe counter once and waits until its Tally row shows the bump.
async fn probe_once(dispatcher: &Dispatcher, read: &Arc<dyn ReadStore>) -> Duration {
    let id = format!("c{COUNTERS}");
    let sent = Instant::now();
    let outcome = dispatcher
        .dispatch(Bump { id: id.clone() }, Metadata::default())
        .await
        .expect("a probe succeeds");
    loop {
        let row = read.get(&Tally::SCHEMA, &json!(id)).await.ok().flatten();
        if row.is_some_and(|row| row["events"].as_u64() >= Some(outcome.version)) {
            return sent.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The broker leading partition 0 of the service's topic: node N is broker N.
fn leader(config: &KafkaConfig) -> i32 {
    let client: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .create()
        .unwrap();
    let topic = config.topic("Counter");
    let metadata = client
        .client()
        .fetch_metadata(Some(&topic), Duration::from_secs(10))
        .unwrap();
    metadata.topics()[0].partitions()[0].leader()
}

/// How many consumers are members of `projection`'s consumer group now.
fn group_members(config: &KafkaConfig, projection: &str) -> usize {
    let client: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .create()
        .unwrap();
    let group = config.group(projection);
    let groups = client
        .client()
        .fetch_group_list(Some(&group), Duration::from_secs(10))
        .unwrap();
    groups
        .groups()
        .iter()
        .find(|found| found.name() == group)
        .map_or(0, |found| found.members().len())
}

/// Where [`projector_process`] finds the service it projects for.
const CHILD_DIR: &str = "EVENTWRIGHT_TEST_PROJECTOR_DIR";
const CHILD_PREFIX: &str = "EVENTWRIGHT_TEST_PROJECTOR_PREFIX";

/// A projector instance in a process of its own, for
/// [`a_projector_process_killed_mid_stream_hands_its_partitions_over_and_loses_nothing`] to
/// start (running this test binary again for this test alone) and kill.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of another test, which says where the service is"]
async fn projector_process() {
    let dir = std::path::PathBuf::from(std::env::var(CHILD_DIR).expect("the service's directory"));
    let prefix = std::env::var(CHILD_PREFIX).expect("the service's topic prefix");
    let config = KafkaConfig {
        replication: 3,
        ..KafkaConfig::new(cluster(), prefix)
    };
    let url = |name: &str| format!("sqlite://{}", dir.join(name).display());
    let events: Arc<dyn EventStore> = Arc::new(SqliteEventStore::new(
        sqlite::connect(&url("events.db")).await.unwrap(),
    ));
    let read: Arc<dyn ReadStore> = Arc::new(SqliteReadStore::new(
        sqlite::connect(&url("views.db")).await.unwrap(),
    ));
    let projector = Service::projector_of(read, events, &config);
    for task in projector.spawn() {
        task.await.unwrap();
    }
}

/// The 99th percentile of `lags`.
fn p99(lags: &[Duration]) -> Duration {
    let mut sorted = lags.to_vec();
    sorted.sort();
    sorted[(sorted.len() * 99).div_ceil(100) - 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_partition_leader_loses_no_event_and_applies_none_twice() {
    let _alone = CLUSTER.lock().await;
    let _cluster = RunningCluster::start("kafka-cluster").await;
    let mut service = Service::start().await;
    service.warm_up().await;
    let running = Arc::new(AtomicBool::new(true));
    let accepted = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let load = LOAD.spawn(&service.dispatcher, &running, &accepted);
    let probe = service.probe(start, &running);

    tokio::time::sleep(Duration::from_secs(5)).await;
    let node = leader(&service.config);
    let killed = start.elapsed();
    services_blocking(format!("kafka-node-kill {node}")).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    services_blocking(format!("kafka-node-start {node}")).await;
    let restarted = start.elapsed();
    // 30 s of load at least, and 20 s after the restart.
    let end = (restarted + Duration::from_secs(20)).max(Duration::from_secs(30));
    tokio::time::sleep(end.saturating_sub(start.elapsed())).await;
    running.store(false, Ordering::SeqCst);
    let ran = start.elapsed();
    for task in load {
        task.await.expect("every command succeeded");
    }
    let lags = probe.await.expect("every probe succeeded");
    let accepted = accepted.load(Ordering::SeqCst);
    let rate = accepted as f64 / ran.as_secs_f64();
    // The load generator shares two cores with three brokers, one of them starting again.
    assert!(
        rate > 0.85 * LOAD.rate as f64,
        "the load ran at {rate:.0} commands/s"
    );

    service.matches_the_fold(accepted).await;
    let outage = lags
        .iter()
        .filter(|(sent, _)| *sent >= killed && *sent < restarted)
        .map(|(_, lag)| *lag)
        .max();
    // From when every later probe showed within the bound.
    let recovered = lags
        .iter()
        .rev()
        .take_while(|(_, lag)| *lag < LAG_BOUND)
        .last()
        .map(|(sent, _)| sent.saturating_sub(restarted));
    let settled: Vec<Duration> = lags
        .iter()
        .filter(|(sent, _)| *sent >= restarted + Duration::from_secs(10))
        .map(|(_, lag)| *lag)
        .collect();
    println!(
        "killed node {node} at {killed:?}, restarted at {restarted:?}; {accepted} commands \
         ({rate:.0}/s), 0 failed; probe lag while down: max {outage:?}; after the restart: \
         within {LAG_BOUND:?} from {recovered:?}, p99 {:?} from 10 s on; {} probes: {lags:?}",
        (!settled.is_empty()).then(|| p99(&settled)),
        lags.len()
    );
    for task in service.tasks.drain(..) {
        task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_projector_instance_leaving_mid_stream_hands_its_partitions_over_and_loses_nothing() {
    let _alone = CLUSTER.lock().await;
    let _cluster = RunningCluster::start("kafka-cluster").await;
    let mut service = Service::start().await;
    let second_tasks = service.projector().spawn();
    // The second instance's consumers stop where they are, mid-batch or not; the group
    // rebalances and the first instance takes their partitions over.
    let leave = move || second_tasks.iter().for_each(JoinHandle::abort);
    service
        .lose_a_projector("a projector left", leave, Duration::from_secs(15))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_projector_process_killed_mid_stream_hands_its_partitions_over_and_loses_nothing() {
    let _alone = CLUSTER.lock().await;
    let _cluster = RunningCluster::start("kafka-cluster").await;
    let mut service = Service::start().await;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "projector_process",
            "--ignored",
            "--test-threads",
            "1",
        ])
        .env(CHILD_DIR, service.dir.path())
        .env(CHILD_PREFIX, &service.config.topic_prefix)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the projector process starts");
    // Killed only once it holds some of the partitions: both instances in both groups.
    let joined = tokio::time::timeout(Duration::from_secs(90), async {
        while [Tally::NAME, Total::NAME]
            .iter()
            .any(|projection| group_members(&service.config, projection) < 2)
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    assert!(
        joined.is_ok(),
        "the projector process never joined the groups"
    );
    // SIGKILL: the process leaves no group, commits nothing more, and may die mid-batch; its
    // partitions wait out the session timeout, then go to the first instance.
    let kill = move || {
        child.kill().unwrap();
        child.wait().unwrap();
    };
    service
        .lose_a_projector("a projector process killed", kill, Duration::from_secs(20))
        .await;
}
