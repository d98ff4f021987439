//! `command-path`: the command path of eventwright measured side by side with cqrs-es +
//! postgres-es and with the raw ceiling (one event row per transaction, same row shape and unique
//! key), on the same PostgreSQL, in one run; and eventwright on SQLite beside raw SQLite.
//!
//! Three workloads: every command on a fresh aggregate; commands on aggregates with a 100-event
//! history; every task on 4 hot aggregates. Concurrency 1, 8 and 32. Contenders take turns
//! within each repetition; the table reports the median of the repetitions and their spread.
//!
//! ```text
//! eval "$(scripts/services.sh up)"
//! cargo run --release -p eventwright-bench -- --write BENCHMARKS.md
//! ```

mod contender;
mod domain;
mod measure;
mod report;
mod workload;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;

use contender::Contender;
use measure::Cell;
use workload::Workload;

/// Measures the command path against cqrs-es and the raw ceiling.
#[derive(Debug, Parser)]
struct Args {
    /// The PostgreSQL server; each run works in schemas of its own.
    #[arg(long, env = "EVENTWRIGHT_POSTGRES_URL")]
    postgres_url: String,
    /// How long each measurement runs, in seconds.
    #[arg(long, default_value_t = 4)]
    seconds: u64,
    /// How many times each measurement is repeated.
    #[arg(long, default_value_t = 3)]
    repetitions: usize,
    /// Concurrent tasks, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 8, 32])]
    concurrency: Vec<usize>,
    /// Preloaded aggregates, each with `--history` events.
    #[arg(long, default_value_t = 4000)]
    aggregates: usize,
    #[arg(long, default_value_t = 100)]
    history: u64,
    /// Connections in each contender's pool.
    #[arg(long, default_value_t = 10)]
    pool: u32,
    /// Also measure eventwright over HTTP, through a generated service built in release,
    /// beside the raw baseline behind a minimal axum handler.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    http: bool,
    /// Also measure eventwright on SQLite beside raw SQLite.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    sqlite: bool,
    /// Replace the command-path section of this file (BENCHMARKS.md) with the results.
    #[arg(long)]
    write: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let scratch = tempdir()?;
    let mut postgres: Vec<Arc<dyn Contender>> = vec![Arc::new(
        contender::ours::Ours::postgres(&args.postgres_url, args.pool).await?,
    )];
    if args.http {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        postgres.push(Arc::new(
            contender::http::Http::start(&workspace, &args.postgres_url).await?,
        ));
    }
    postgres.push(Arc::new(
        contender::cqrs::CqrsEs::connect(&args.postgres_url, args.pool).await?,
    ));
    postgres.push(Arc::new(
        contender::raw::Raw::postgres(&args.postgres_url, args.pool).await?,
    ));
    if args.http {
        postgres.push(Arc::new(
            contender::raw_http::RawHttp::start(&args.postgres_url).await?,
        ));
    }
    let mut sqlite: Vec<Arc<dyn Contender>> = Vec::new();
    if args.sqlite {
        sqlite.push(Arc::new(
            contender::ours::Ours::sqlite(&scratch.join("ours.db")).await?,
        ));
        sqlite.push(Arc::new(
            contender::raw::Raw::sqlite(&scratch.join("raw.db")).await?,
        ));
    }
    for contender in postgres.iter().chain(&sqlite) {
        eprintln!(
            "preloading {}: {} aggregates × {} events",
            contender.name(),
            args.aggregates,
            args.history
        );
        contender
            .preload(args.aggregates, args.history)
            .await
            .with_context(|| format!("preloading {}", contender.name()))?;
    }
    let settings = eventwright_bench::environment::postgres_settings(&args.postgres_url).await?;
    let mut cells: Vec<Cell> = Vec::new();
    for repetition in 0..args.repetitions {
        for workload in Workload::ALL {
            for &concurrency in &args.concurrency {
                for group in [&postgres, &sqlite] {
                    for contender in group.iter() {
                        let plan = workload::Plan {
                            workload,
                            concurrency,
                            aggregates: args.aggregates,
                            run: format!("r{repetition}c{concurrency}"),
                        };
                        let cell = measure::run(
                            Arc::clone(contender),
                            plan,
                            Duration::from_secs(args.seconds),
                        )
                        .await;
                        eprintln!("{}", cell.summary());
                        cells.push(cell);
                    }
                }
            }
        }
    }
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let text = report::markdown(&cells, &settings, &args_line(&args), &command);
    println!("{text}");
    if let Some(path) = &args.write {
        report::replace_section(path, &text)?;
        eprintln!("written to {}", path.display());
    }
    Ok(())
}

fn args_line(args: &Args) -> String {
    format!(
        "{} s per measurement, {} repetitions, {} preloaded aggregates × {} events, pools of {}",
        args.seconds, args.repetitions, args.aggregates, args.history, args.pool
    )
}

/// A directory for the SQLite files, removed with the process's temp dir cleanup.
fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "eventwright-bench-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
