//! `projector-scaling`: how many events a second one projection applies through Kafka with 1, 2
//! and 3 projector instances in its consumer group, on each read store that takes several
//! writers (PostgreSQL and Cassandra; an SQLite file has one).
//!
//! ```text
//! eval "$(scripts/services.sh up)"
//! cargo run --release -p eventwright-bench --bin projector-scaling
//! ```
//!
//! Before each run, a log on SQLite is relayed whole to a fresh topic of `--partitions`
//! partitions, so only the projectors are timed: from the first event applied to the last,
//! counted by the engine's own `eventwright_projection_events_total`. Each instance is an
//! engine with a consumer of its own, in this one process; on one machine the instances, the
//! broker and the store share its cores.

mod applied;

use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use eventwright::bus::InProcBus;
use eventwright::bus::kafka::{KafkaConfig, KafkaFeed, KafkaSink};
use eventwright::relay::OutboxRelay;
use eventwright::store::cassandra::{self, CassandraConfig, CassandraReadStore};
use eventwright::store::postgres::{self, PostgresReadStore, Retry};
use eventwright::store::sqlite::{self, SqliteEventStore};
use eventwright::store::{EventStore, ReadStore};
use eventwright::{
    Change, Event, EventEnvelope, Metadata, NewEvent, Project, Projection, ProjectionEngine,
};
use serde::{Deserialize, Serialize};

use crate::applied::AppliedEvents;

/// Measures one projection applying a log through Kafka with more and more instances.
#[derive(Debug, Parser)]
struct Args {
    #[arg(long, value_delimiter = ',', default_values = ["postgres", "cassandra"])]
    stores: Vec<Store>,
    /// Projector instances sharing the consumer group, one run each.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2, 3])]
    instances: Vec<usize>,
    /// Events in the log.
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Counters (aggregates) the events are spread over, round robin.
    #[arg(long, default_value_t = 1_000)]
    aggregates: usize,
    /// Partitions of the topic: the most instances that can share the work.
    #[arg(long, default_value_t = 6)]
    partitions: i32,
    #[arg(long, env = "EVENTWRIGHT_KAFKA_BROKERS")]
    kafka_brokers: Option<String>,
    #[arg(long, env = "EVENTWRIGHT_POSTGRES_URL")]
    postgres_url: Option<String>,
    #[arg(long, env = "EVENTWRIGHT_CASSANDRA_NODES")]
    cassandra_nodes: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Store {
    Postgres,
    Cassandra,
}

impl Store {
    fn name(self) -> &'static str {
        match self {
            Store::Postgres => "PostgreSQL",
            Store::Cassandra => "Cassandra",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Bumped {
    to: u64,
}

#[derive(Debug, Clone, Event)]
enum CounterEvent {
    Bumped(Bumped),
}

/// Each counter's events and last value: one row per aggregate, as most projections keep.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Projection)]
#[projection(event = CounterEvent, key = id)]
struct Tally {
    id: String,
    events: i64,
    last: i64,
}

impl Project<Bumped> for Tally {
    fn project(row: Option<Self>, event: &Bumped, envelope: &EventEnvelope) -> Change<Self> {
        let mut row = row.unwrap_or_else(|| Tally {
            id: envelope.aggregate_id.clone(),
            ..Tally::default()
        });
        row.events += 1;
        row.last = i64::try_from(event.to).unwrap_or(i64::MAX);
        Change::Upsert(row)
    }
}

fn required<'a>(value: &'a Option<String>, variable: &str) -> anyhow::Result<&'a str> {
    value
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("{variable} is not set: eval \"$(scripts/services.sh up)\""))
}

impl Args {
    /// An empty read store: a scratch schema or a new keyspace.
    async fn fresh(&self, store: Store) -> anyhow::Result<Arc<dyn ReadStore>> {
        Ok(match store {
            Store::Postgres => {
                let url = required(&self.postgres_url, "EVENTWRIGHT_POSTGRES_URL")?;
                let schema = postgres::scratch_schema(url).await?;
                Arc::new(PostgresReadStore::new(
                    postgres::connect(&schema, 16, Retry::default()).await?,
                ))
            }
            Store::Cassandra => {
                let nodes = required(&self.cassandra_nodes, "EVENTWRIGHT_CASSANDRA_NODES")?;
                let config =
                    CassandraConfig::new(nodes, format!("scale{}", uuid::Uuid::new_v4().simple()));
                Arc::new(CassandraReadStore::new(
                    cassandra::connect(&config).await?,
                    config,
                ))
            }
        })
    }

    /// The log: `events` bumps of `aggregates` counters, round robin.
    async fn write_log(&self, events: &dyn EventStore) -> anyhow::Result<()> {
        let mut groups: Vec<Vec<NewEvent>> = Vec::new();
        for n in 0..self.events {
            let sequence = (n / self.aggregates) as u64 + 1;
            let bumped = CounterEvent::Bumped(Bumped { to: sequence });
            groups.push(vec![NewEvent {
                event_id: uuid::Uuid::now_v7(),
                aggregate_type: "Counter".to_owned(),
                aggregate_id: format!("c{}", n % self.aggregates),
                sequence,
                event_type: bumped.event_type().to_owned(),
                event_version: bumped.event_version(),
                timestamp: chrono::Utc::now(),
                metadata: Metadata::default(),
                payload: bumped.encode()?,
                tags: Vec::new(),
            }]);
            if groups.len() == self.aggregates.min(500) || n + 1 == self.events {
                for appended in events.append_many(std::mem::take(&mut groups)).await {
                    appended?;
                }
            }
        }
        Ok(())
    }
}

/// One run: a store, a number of instances, and how fast they applied the log.
struct Run {
    store: &'static str,
    instances: usize,
    seconds: f64,
    events_per_second: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let brokers = required(&args.kafka_brokers, "EVENTWRIGHT_KAFKA_BROKERS")?.to_owned();
    let applied = AppliedEvents::install()?;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    let events: Arc<dyn EventStore> = Arc::new(SqliteEventStore::new(sqlite::connect(&url).await?));
    events.prepare().await?;
    args.write_log(events.as_ref()).await?;
    let mut runs = Vec::new();
    for &store in &args.stores {
        for &instances in &args.instances {
            // Topics, a consumer group and a relay checkpoint of the run's own.
            let prefix = format!("scale{}.", uuid::Uuid::new_v4().simple());
            let mut config = KafkaConfig::new(brokers.clone(), prefix.clone());
            config.partitions = args.partitions;
            let relay = OutboxRelay::new(
                prefix,
                Arc::clone(&events),
                InProcBus::new(Arc::clone(&events)),
                Arc::new(KafkaSink::new(&config)?),
            );
            let relayed = relay.relay_pending().await?;
            anyhow::ensure!(relayed == args.events, "relayed {relayed} events");
            let read = args.fresh(store).await?;
            applied.reset();
            let mut tasks = Vec::new();
            for instance in 0..instances {
                let engine = ProjectionEngine::new(
                    Arc::clone(&read),
                    Arc::clone(&events),
                    Arc::new(KafkaFeed::new(config.clone(), ["Counter"])),
                )
                .with::<Tally>();
                if instance == 0 {
                    engine.prepare().await?;
                }
                tasks.extend(engine.spawn());
            }
            let timed = applied
                .wait_for(args.events as u64, Duration::from_secs(900))
                .await;
            for task in tasks {
                task.abort();
            }
            let (first, last) = timed?;
            let seconds = (last - first).as_secs_f64();
            let run = Run {
                store: store.name(),
                instances,
                seconds,
                events_per_second: args.events as f64 / seconds,
            };
            eprintln!(
                "{}: {} instance(s) {:>8.0} events/s ({:.1} s)",
                run.store, run.instances, run.events_per_second, run.seconds
            );
            runs.push(run);
        }
    }
    println!("{}", markdown(&args, &runs));
    Ok(())
}

fn markdown(args: &Args, runs: &[Run]) -> String {
    let mut text = format!(
        "{} events of {} counters, a topic of {} partitions.\n\n\
         | store | instances | events/s | seconds | against 1 instance |\n|---|---|---|---|---|\n",
        args.events, args.aggregates, args.partitions
    );
    for run in runs {
        let alone = runs
            .iter()
            .find(|other| other.store == run.store && other.instances == 1)
            .map_or(String::from("—"), |alone| {
                format!("{:.2}×", run.events_per_second / alone.events_per_second)
            });
        text.push_str(&format!(
            "| {} | {} | {:.0} | {:.1} | {alone} |\n",
            run.store, run.instances, run.events_per_second, run.seconds
        ));
    }
    text
}
