//! `read-side`: the read side measured with many rows. Query latency, p50 and p99, for a get by
//! key, a list by a field, a range within a list, and list-all pages, on each read store filled
//! with `--rows` loans; and projection throughput from the event log for a projection of one
//! aggregate beside one over two aggregates whose second kind of event changes rows found by a
//! lookup.
//!
//! ```text
//! eval "$(scripts/services.sh up)"
//! cargo run --release -p eventwright-bench --bin read-side -- --write BENCHMARKS.md
//! ```

mod loans;
mod queries;
mod report;
mod throughput;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use eventwright::store::cassandra::{self, CassandraConfig, CassandraReadStore};
use eventwright::store::postgres::{self, PostgresEventStore, PostgresReadStore, Retry};
use eventwright::store::sqlite::{self, SqliteEventStore, SqliteReadStore};
use eventwright::store::{EventStore, ReadStore};

use crate::loans::Library;
use crate::queries::Filling;

/// Measures read-side queries with many rows, and projection throughput with lookups.
#[derive(Debug, Parser)]
struct Args {
    /// The read stores to fill and query, comma-separated.
    #[arg(long, value_delimiter = ',', default_values = ["postgres", "cassandra", "sqlite"])]
    stores: Vec<Store>,
    /// Loans each read store holds while it is queried.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Members the loans are spread over: a member's list holds rows / members loans.
    #[arg(long, default_value_t = 20_000)]
    members: usize,
    /// How many times each query is asked (after as many unmeasured).
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
    /// Loans in the log the projections catch up with (on Cassandra, from a log on SQLite).
    #[arg(long, default_value_t = 100_000)]
    log_loans: usize,
    /// A member is renamed after every this many loans.
    #[arg(long, default_value_t = 20)]
    rename_every: usize,
    #[arg(long, env = "EVENTWRIGHT_POSTGRES_URL")]
    postgres_url: Option<String>,
    #[arg(long, env = "EVENTWRIGHT_CASSANDRA_NODES")]
    cassandra_nodes: Option<String>,
    /// Replace the read-side section of this file (BENCHMARKS.md) with the results.
    #[arg(long)]
    write: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Store {
    Postgres,
    Cassandra,
    Sqlite,
}

impl Store {
    fn name(self) -> &'static str {
        match self {
            Store::Postgres => "PostgreSQL",
            Store::Cassandra => "Cassandra",
            Store::Sqlite => "SQLite",
        }
    }
}

/// A fresh, empty place in one store: a scratch schema, a new keyspace or a new file.
struct Scratch {
    read: Arc<dyn ReadStore>,
    events: Arc<dyn EventStore>,
    filling: Filling,
    _dir: Option<tempfile::TempDir>,
}

impl Args {
    async fn scratch(&self, store: Store) -> anyhow::Result<Scratch> {
        Ok(match store {
            Store::Postgres => {
                let url = self.postgres_url.as_deref().ok_or_else(|| {
                    anyhow::anyhow!(
                        "EVENTWRIGHT_POSTGRES_URL is not set: eval \"$(scripts/services.sh up)\""
                    )
                })?;
                let pool =
                    postgres::connect(&postgres::scratch_schema(url).await?, 8, Retry::default())
                        .await?;
                let events = PostgresEventStore::new(pool.clone());
                events.prepare().await?;
                Scratch {
                    read: Arc::new(PostgresReadStore::new(pool)),
                    events: Arc::new(events),
                    filling: Filling::InLog,
                    _dir: None,
                }
            }
            Store::Cassandra => {
                let nodes = self.cassandra_nodes.as_deref().ok_or_else(|| {
                    anyhow::anyhow!(
                        "EVENTWRIGHT_CASSANDRA_NODES is not set: eval \"$(scripts/services.sh up)\""
                    )
                })?;
                let keyspace = format!("bench{}", uuid::Uuid::new_v4().simple());
                let config = CassandraConfig::new(nodes, keyspace);
                let session = cassandra::connect(&config).await?;
                // Its projections catch up with a log on the embedded write store.
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("events.db").display());
                let events = SqliteEventStore::new(sqlite::connect(&url).await?);
                events.prepare().await?;
                Scratch {
                    read: Arc::new(CassandraReadStore::new(session, config)),
                    events: Arc::new(events),
                    // A Cassandra read model is fed by a partitioned broker.
                    filling: Filling::Delivered { appliers: 32 },
                    _dir: Some(dir),
                }
            }
            Store::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
                let events = SqliteEventStore::new(sqlite::connect(&url("events.db")).await?);
                events.prepare().await?;
                Scratch {
                    read: Arc::new(SqliteReadStore::new(
                        sqlite::connect(&url("views.db")).await?,
                    )),
                    events: Arc::new(events),
                    filling: Filling::InLog,
                    _dir: Some(dir),
                }
            }
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let library = Arc::new(Library {
        members: args.members,
    });
    let mut results = Vec::new();
    for &store in &args.stores {
        let scratch = args.scratch(store).await?;
        eprintln!("{}: filling with {} loans", store.name(), args.rows);
        let filled = queries::fill(&scratch.read, &library, args.rows, scratch.filling).await?;
        eprintln!("{}: {filled:.0} rows/s; asking", store.name());
        let latencies =
            queries::measure(Arc::clone(&scratch.read), &library, args.rows, args.queries).await?;
        for latency in &latencies {
            eprintln!(
                "{}: {:<42} p50 {:>6.2} ms p99 {:>6.2} ms ({:.1} rows)",
                store.name(),
                latency.query,
                latency.p50.as_secs_f64() * 1e3,
                latency.p99.as_secs_f64() * 1e3,
                latency.rows
            );
        }
        // A library of its own, so the log's loans are not the rows just queried.
        let log = Library {
            members: (args.log_loans / args.rename_every).max(1),
        };
        let events = &scratch.events;
        let renames =
            throughput::write_log(events.as_ref(), &log, args.log_loans, args.rename_every).await?;
        // Empty read tables: the loans just queried are another projection's rows.
        let fresh = args.scratch(store).await?;
        let catch_ups =
            throughput::catch_up(Arc::clone(events), fresh.read, args.log_loans, renames).await?;
        for catch_up in &catch_ups {
            eprintln!(
                "{}: {:<36} {:>8.0} events/s ({} events, {} rows)",
                store.name(),
                catch_up.projection,
                catch_up.events_per_second,
                catch_up.events,
                catch_up.rows
            );
        }
        results.push(report::Measured {
            store: store.name(),
            filled,
            latencies,
            catch_ups,
        });
    }
    let command =
        std::iter::once("cargo run --release -p eventwright-bench --bin read-side --".to_owned())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" ");
    let text = report::markdown(&args_summary(&args), &results, &command);
    println!("{text}");
    if let Some(path) = &args.write {
        report::write(path, &text)?;
        eprintln!("written to {}", path.display());
    }
    Ok(())
}

fn args_summary(args: &Args) -> String {
    format!(
        "{} loans per read store over {} members ({} per member's list); each query asked {} \
         times one at a time, after as many unmeasured. Catch-up: a log of {} loans with a \
         member renamed after every {}th",
        args.rows,
        args.members,
        args.rows / args.members.max(1),
        args.queries,
        args.log_loans,
        args.rename_every
    )
}
