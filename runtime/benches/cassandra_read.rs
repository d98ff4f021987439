//! The Cassandra read store: projection write throughput, and query latency for gets and lists.
//!
//! ```sh
//! eval "$(scripts/services.sh up)"
//! cargo bench -p eventwright --features cassandra --bench cassandra_read -- --rows 5000
//! ```
//!
//! Writes: each event upserts one row (`--rows` counters per run, 50 groups) through
//! `ReadStore::update` as a partitioned broker would deliver it: read the row, decide, write it
//! with a compare-and-set, then its list-table row. Measured with 1 and 16 appliers running at
//! once, each on aggregates of its own. Queries: a get by key, and a list of 20 rows by group,
//! each run 2,000 times one after another against the rows written.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventwright::store::cassandra::{self, CassandraConfig, CassandraReadStore};
use eventwright::store::{Decide, Find, Mark, ReadStore, RowChange};
use eventwright::table::{ColumnDef, ColumnType, Index, TableSchema};
use eventwright::{EventEnvelope, Metadata, NewEvent};
use serde_json::{Value, json};

const COUNTERS: TableSchema<'static> = TableSchema {
    name: "counters",
    key: "id",
    columns: &[
        ColumnDef {
            name: "id",
            ty: ColumnType::String,
            nullable: false,
        },
        ColumnDef {
            name: "group_id",
            ty: ColumnType::String,
            nullable: false,
        },
        ColumnDef {
            name: "value",
            ty: ColumnType::Int,
            nullable: false,
        },
    ],
    indexes: &[Index {
        equal: &["group_id"],
        order: None,
    }],
    summaries: &[],
};

const GROUPS: usize = 50;
const QUERIES: usize = 2_000;

fn rows_setting() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|arg| arg == "--rows")
        .and_then(|at| args.get(at + 1))
        .and_then(|rows| rows.parse().ok())
        .unwrap_or(5_000)
}

fn envelope(id: &str, sequence: u64) -> EventEnvelope {
    EventEnvelope::from_new(
        NewEvent {
            event_id: uuid::Uuid::now_v7(),
            aggregate_type: "Counter".to_owned(),
            aggregate_id: id.to_owned(),
            sequence,
            event_type: "Bumped".to_owned(),
            event_version: 1,
            timestamp: chrono::Utc::now(),
            metadata: Metadata::default(),
            payload: json!({}),
            tags: Vec::new(),
        },
        sequence,
    )
}

/// Applies one event to counter `n`: its row's value becomes `sequence`.
async fn apply(read: &dyn ReadStore, n: usize, sequence: u64) {
    let id = format!("c{n:06}");
    let event = envelope(&id, sequence);
    let key = json!(id);
    let group = format!("g{:02}", n % GROUPS);
    let decide: Decide<'_> = Box::new(move |_| {
        let Value::Object(row) = json!({ "id": id, "group_id": group, "value": sequence }) else {
            unreachable!()
        };
        Ok(RowChange::Upsert(row))
    });
    read.update(
        &COUNTERS,
        "counters",
        Mark::delivered(&event),
        Some(&key),
        decide,
    )
    .await
    .expect("the write succeeds");
}

/// Writes one event to each of counters `first..first + rows`, spread over `appliers` tasks;
/// returns events per second.
async fn write(
    read: &Arc<dyn ReadStore>,
    first: usize,
    rows: usize,
    appliers: usize,
    sequence: u64,
) -> f64 {
    let started = Instant::now();
    let tasks: Vec<_> = (0..appliers)
        .map(|applier| {
            let read = Arc::clone(read);
            tokio::spawn(async move {
                for n in (first + applier..first + rows).step_by(appliers) {
                    apply(read.as_ref(), n, sequence).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    rows as f64 / started.elapsed().as_secs_f64()
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    (at(0.5), at(0.99))
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let rows = rows_setting();
    let nodes = std::env::var("EVENTWRIGHT_CASSANDRA_NODES")
        .expect("EVENTWRIGHT_CASSANDRA_NODES: start Cassandra with scripts/services.sh up");
    let config = CassandraConfig::new(nodes, format!("bench{}", uuid::Uuid::new_v4().simple()));
    let session = cassandra::connect(&config).await.unwrap();
    let read: Arc<dyn ReadStore> = Arc::new(CassandraReadStore::new(session, config));
    read.prepare(&COUNTERS).await.unwrap();

    println!("| measure | 1 applier | 16 appliers |");
    println!("|---|---|---|");
    // New rows (insert if absent), then the same rows again (compare-and-set on the version).
    let new_one = write(&read, 0, rows, 1, 1).await;
    let new_many = write(&read, rows, rows, 16, 1).await;
    let updated_one = write(&read, 0, rows, 1, 2).await;
    let updated_many = write(&read, rows, rows, 16, 2).await;
    println!("| writes/s, rows updated | {updated_one:.0} | {updated_many:.0} |");
    println!("| writes/s, rows created | {new_one:.0} | {new_many:.0} |");

    let mut gets = Vec::with_capacity(QUERIES);
    let mut lists = Vec::with_capacity(QUERIES);
    for q in 0..QUERIES {
        let key = json!(format!("c{:06}", (q * 7919) % (2 * rows)));
        let started = Instant::now();
        let row = read.get(&COUNTERS, &key).await.unwrap();
        gets.push(started.elapsed());
        assert!(row.is_some());
        let group = [json!(format!("g{:02}", q % GROUPS))];
        let started = Instant::now();
        let page = read
            .find(&COUNTERS, Find::new(&COUNTERS.indexes[0], &group, 20))
            .await
            .unwrap();
        lists.push(started.elapsed());
        assert_eq!(page.len(), 20.min(2 * rows / GROUPS));
    }
    let (get50, get99) = percentiles(gets);
    let (list50, list99) = percentiles(lists);
    println!();
    println!("| query ({QUERIES} each, one at a time) | p50 | p99 |");
    println!("|---|---|---|");
    println!("| get by key | {} | {} |", ms(get50), ms(get99));
    println!("| list 20 by group | {} | {} |", ms(list50), ms(list99));
}
