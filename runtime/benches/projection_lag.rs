//! Projection lag: the time from a command's commit to its event being applied in the read
//! store, at a sustained command rate, with the in-process bus and through Kafka.
//!
//! ```sh
//! eval "$(scripts/services.sh up)"
//! cargo bench -p eventwright --features kafka --bench projection_lag -- --rate 1000 --seconds 30
//! ```
//!
//! Commands run on SQLite (write and read stores in separate files), one bump of one of 200
//! counters per command, started on a fixed schedule. A command's commit time is taken when its
//! dispatch returns, just after the commit; its event's visible time when the read store's
//! transaction applying it has committed. The first two seconds are a warm-up and not counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use eventwright::bus::InProcBus;
use eventwright::bus::kafka::{KafkaConfig, KafkaFeed, KafkaSink};
use eventwright::relay::OutboxRelay;
use eventwright::store::sqlite::{self, SqliteEventStore, SqliteReadStore};
use eventwright::store::{
    Cursor, Decide, EventStore, Find, Mark, ReadStore, Row, StoreError, Update,
};
use eventwright::table::{Summary, TableSchema};
use eventwright::{
    Aggregate, Apply, Change, Command, Dispatcher, Event, EventEnvelope, Handle, Metadata, Project,
    Projection, ProjectionEngine, Rejection,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = CounterEvent)]
struct Counter {
    value: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Command)]
#[command(aggregate = Counter, creates)]
struct Start {
    #[command(id)]
    id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Command)]
#[command(aggregate = Counter, retries = 1000)]
struct Bump {
    #[command(id)]
    id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Started {}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Bumped {
    to: i64,
}

#[derive(Debug, Clone, Event)]
enum CounterEvent {
    Started(Started),
    Bumped(Bumped),
}

impl Apply<Started> for Counter {
    fn apply(&mut self, _: &Started) {}
}

impl Apply<Bumped> for Counter {
    fn apply(&mut self, event: &Bumped) {
        self.value = event.to;
    }
}

impl Handle<Start> for Counter {
    fn handle(&self, _: &Start) -> Result<Vec<CounterEvent>, Rejection> {
        Ok(vec![Started {}.into()])
    }
}

impl Handle<Bump> for Counter {
    fn handle(&self, _: &Bump) -> Result<Vec<CounterEvent>, Rejection> {
        Ok(vec![Bumped { to: self.value + 1 }.into()])
    }
}

/// The counter's value as the read side sees it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Projection)]
#[projection(event = CounterEvent, key = id)]
struct Reading {
    id: String,
    value: i64,
}

impl Project<Started> for Reading {
    fn project(_: Option<Self>, _: &Started, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(Reading {
            id: envelope.aggregate_id.clone(),
            value: 0,
        })
    }
}

impl Project<Bumped> for Reading {
    fn project(row: Option<Self>, event: &Bumped, envelope: &EventEnvelope) -> Change<Self> {
        let mut row = row.unwrap_or_else(|| Reading {
            id: envelope.aggregate_id.clone(),
            value: 0,
        });
        row.value = event.to;
        Change::Upsert(row)
    }
}

/// When each (counter, sequence) was committed and when it became visible.
#[derive(Debug, Default)]
struct Clock {
    committed: Mutex<HashMap<(String, u64), Instant>>,
    visible: Mutex<HashMap<(String, u64), Instant>>,
}

/// The read store, noting when each event's transaction has committed.
#[derive(Debug)]
struct Timed {
    inner: Arc<dyn ReadStore>,
    clock: Arc<Clock>,
}

/// Notes which events a decision wrote. The envelope is not passed down, so the key (the
/// counter) and the row's new value (its sequence - 1) identify the event.
fn noting<'a>(decide: Decide<'a>, seen: &Arc<Mutex<Vec<(String, u64)>>>) -> Decide<'a> {
    let noted = Arc::clone(seen);
    Box::new(move |row| {
        let change = decide(row)?;
        if let eventwright::store::RowChange::Upsert(row) = &change {
            let id = row["id"].as_str().unwrap_or_default().to_owned();
            let sequence = row["value"].as_u64().unwrap_or_default() + 1;
            noted.lock().unwrap().push((id, sequence));
        }
        Ok(change)
    })
}

impl Timed {
    /// Marks the noted events visible now: their transaction has committed.
    fn visible(&self, seen: &Mutex<Vec<(String, u64)>>) {
        let now = Instant::now();
        let mut visible = self.clock.visible.lock().unwrap();
        for event in seen.lock().unwrap().drain(..) {
            visible.insert(event, now);
        }
    }
}

#[async_trait]
impl ReadStore for Timed {
    async fn prepare_bookkeeping(&self) -> Result<(), StoreError> {
        self.inner.prepare_bookkeeping().await
    }

    async fn prepare(&self, schema: &TableSchema<'_>) -> Result<(), StoreError> {
        self.inner.prepare(schema).await
    }

    async fn active(&self, projection: &str) -> Result<u64, StoreError> {
        self.inner.active(projection).await
    }

    async fn activate(&self, projection: &str, generation: u64) -> Result<(), StoreError> {
        self.inner.activate(projection, generation).await
    }

    async fn save_checkpoint(&self, projection: &str, cursor: Cursor) -> Result<(), StoreError> {
        self.inner.save_checkpoint(projection, cursor).await
    }

    async fn drop_projection(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
    ) -> Result<(), StoreError> {
        self.inner.drop_projection(schema, projection).await
    }

    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError> {
        self.inner.checkpoint(projection).await
    }

    async fn progress(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<u64, StoreError> {
        self.inner
            .progress(schema, projection, aggregate_type, aggregate_id)
            .await
    }

    async fn get(&self, schema: &TableSchema<'_>, key: &Value) -> Result<Option<Row>, StoreError> {
        self.inner.get(schema, key).await
    }

    async fn update(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        mark: Mark<'_>,
        key: Option<&Value>,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let decide = noting(decide, &seen);
        let applied = self
            .inner
            .update(schema, projection, mark, key, decide)
            .await?;
        self.visible(&seen);
        Ok(applied)
    }

    async fn update_where(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        mark: Mark<'_>,
        column: &str,
        value: &Value,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let decide = noting(decide, &seen);
        let applied = self
            .inner
            .update_where(schema, projection, mark, column, value, decide)
            .await?;
        self.visible(&seen);
        Ok(applied)
    }

    async fn update_many(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        updates: Vec<Update<'_>>,
    ) -> Result<Vec<bool>, StoreError> {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let updates = updates
            .into_iter()
            .map(|update| Update {
                decide: noting(update.decide, &seen),
                ..update
            })
            .collect();
        let applied = self.inner.update_many(schema, projection, updates).await?;
        self.visible(&seen);
        Ok(applied)
    }

    async fn group(
        &self,
        schema: &TableSchema<'_>,
        summary: &Summary<'_>,
        value: &Value,
    ) -> Result<Option<Row>, StoreError> {
        self.inner.group(schema, summary, value).await
    }

    async fn groups(
        &self,
        schema: &TableSchema<'_>,
        summary: &Summary<'_>,
        after: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        self.inner.groups(schema, summary, after, limit).await
    }

    async fn shape(&self, schema: &TableSchema<'_>) -> Result<Option<String>, StoreError> {
        self.inner.shape(schema).await
    }

    async fn record_shape(&self, schema: &TableSchema<'_>) -> Result<(), StoreError> {
        self.inner.record_shape(schema).await
    }

    async fn find(&self, schema: &TableSchema<'_>, find: Find<'_>) -> Result<Vec<Row>, StoreError> {
        self.inner.find(schema, find).await
    }

    async fn list_all(
        &self,
        schema: &TableSchema<'_>,
        after_key: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        self.inner.list_all(schema, after_key, limit).await
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Broker {
    InProcess,
    Kafka,
}

struct Settings {
    rate: u32,
    seconds: u64,
    brokers: Vec<Broker>,
}

fn settings() -> Settings {
    let mut settings = Settings {
        rate: 1000,
        seconds: 30,
        brokers: vec![Broker::InProcess, Broker::Kafka],
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rate" => settings.rate = args.next().and_then(|v| v.parse().ok()).expect("--rate N"),
            "--seconds" => {
                settings.seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--seconds N")
            }
            "--broker" => {
                settings.brokers = match args.next().map(String::as_str) {
                    Some("inproc") => vec![Broker::InProcess],
                    Some("kafka") => vec![Broker::Kafka],
                    _ => panic!("--broker inproc|kafka"),
                }
            }
            // `cargo bench` passes this to every bench binary.
            "--bench" => {}
            other => panic!("unknown argument {other}; expected --rate, --seconds, --broker"),
        }
    }
    settings
}

const COUNTERS: usize = 200;
const WARM_UP: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() {
    let settings = settings();
    println!(
        "| bus | commands/s asked | commands/s run | events measured | p50 | p95 | p99 | max |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for broker in &settings.brokers {
        run(*broker, &settings).await;
    }
}

async fn run(broker: Broker, settings: &Settings) {
    let dir = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let events: Arc<dyn EventStore> = Arc::new(SqliteEventStore::new(
        sqlite::connect(&url("events.db")).await.unwrap(),
    ));
    events.prepare().await.unwrap();
    let clock = Arc::new(Clock::default());
    let read: Arc<dyn ReadStore> = Arc::new(Timed {
        inner: Arc::new(SqliteReadStore::new(
            sqlite::connect(&url("views.db")).await.unwrap(),
        )),
        clock: Arc::clone(&clock),
    });
    let log = InProcBus::new(Arc::clone(&events));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(log.clone()));
    let mut tasks = Vec::new();
    match broker {
        Broker::InProcess => {
            let runner = ProjectionEngine::new(
                Arc::clone(&read),
                Arc::clone(&events),
                Arc::new(log.clone()),
            )
            .with::<Reading>();
            runner.prepare().await.unwrap();
            tasks.extend(runner.spawn());
        }
        Broker::Kafka => {
            let brokers = std::env::var("EVENTWRIGHT_KAFKA_BROKERS")
                .expect("EVENTWRIGHT_KAFKA_BROKERS: start Kafka with scripts/services.sh up");
            let config =
                KafkaConfig::new(brokers, format!("lag{}.", uuid::Uuid::new_v4().simple()));
            let sink = Arc::new(KafkaSink::new(&config).unwrap());
            let relay = OutboxRelay::new("kafka", Arc::clone(&events), log.clone(), sink);
            let projectors = ProjectionEngine::new(
                Arc::clone(&read),
                Arc::clone(&events),
                Arc::new(KafkaFeed::new(config, ["Counter"])),
            )
            .with::<Reading>();
            projectors.prepare().await.unwrap();
            tasks.extend(projectors.spawn());
            tasks.push(relay.spawn());
        }
    }
    for n in 0..COUNTERS {
        dispatcher
            .dispatch(
                Start {
                    id: format!("c{n}"),
                },
                Metadata::default(),
            )
            .await
            .unwrap();
    }
    // Give a consumer group time to form before the clock starts.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let total = u64::from(settings.rate) * settings.seconds;
    let period = Duration::from_secs(1) / settings.rate;
    let started = Instant::now();
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut commands = Vec::with_capacity(total as usize);
    for n in 0..total {
        ticks.tick().await;
        let dispatcher = dispatcher.clone();
        let clock = Arc::clone(&clock);
        let counted = started.elapsed() >= WARM_UP;
        commands.push(tokio::spawn(async move {
            let id = format!("c{}", n as usize % COUNTERS);
            let committed = dispatcher
                .dispatch(Bump { id: id.clone() }, Metadata::default())
                .await
                .expect("the command commits");
            if counted {
                clock
                    .committed
                    .lock()
                    .unwrap()
                    .insert((id, committed.version), Instant::now());
            }
        }));
    }
    for command in commands {
        command.await.unwrap();
    }
    let ran = total as f64 / started.elapsed().as_secs_f64();

    // Wait until every counted event is visible (or a minute passes).
    let deadline = Instant::now() + Duration::from_secs(60);
    let all_visible = || {
        let committed = clock.committed.lock().unwrap();
        let visible = clock.visible.lock().unwrap();
        committed.keys().all(|key| visible.contains_key(key))
    };
    while !all_visible() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for task in tasks {
        task.abort();
    }
    let committed = clock.committed.lock().unwrap();
    let visible = clock.visible.lock().unwrap();
    let mut lags: Vec<Duration> = committed
        .iter()
        .map(|(key, at)| {
            visible
                .get(key)
                .map_or(Duration::MAX, |seen| seen.saturating_duration_since(*at))
        })
        .collect();
    lags.sort();
    let missing = lags.iter().filter(|lag| **lag == Duration::MAX).count();
    assert_eq!(missing, 0, "{missing} events never became visible");
    let at = |q: f64| lags[((lags.len() as f64 * q) as usize).min(lags.len() - 1)];
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let name = match broker {
        Broker::InProcess => "in-process",
        Broker::Kafka => "Kafka",
    };
    println!(
        "| {name} | {} | {ran:.0} | {} | {} | {} | {} | {} |",
        settings.rate,
        lags.len(),
        ms(at(0.50)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(*lags.last().unwrap())
    );
}
