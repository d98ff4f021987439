//! `transfers`: a decision over two aggregates measured side by side, on one PostgreSQL, in one
//! run: money moved between two accounts with eventwright's `Decision`, with disintegrate 4
//! (`disintegrate-postgres`, its own dynamic consistency boundary: the banking example's
//! `SendMoney`), and with a hand-written sqlx transaction (`SELECT … FOR UPDATE` both rows,
//! update both, insert both events).
//!
//! Each transfer moves 1 between two distinct accounts drawn at random from `--accounts`; every
//! account starts rich enough that none is refused. A contender that loses a race retries until
//! it commits (eventwright's dispatcher does so itself; disintegrate leaves it to the caller,
//! so the caller here retries at once), so throughput counts committed transfers and the
//! latency of each includes its retries.
//!
//! ```text
//! eval "$(scripts/services.sh up)"
//! cargo run --release -p eventwright-bench --bin transfers -- --write BENCHMARKS.md
//! ```

mod disintegrate;
mod for_update;
mod measure;
mod ours;
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use clap::Parser;

/// Measures transfers between accounts against disintegrate and a hand-written transaction.
#[derive(Debug, Parser)]
struct Args {
    /// The PostgreSQL server; each contender works in a schema of its own.
    #[arg(long, env = "EVENTWRIGHT_POSTGRES_URL")]
    postgres_url: String,
    /// How long each measurement runs, in seconds.
    #[arg(long, default_value_t = 4)]
    seconds: u64,
    /// How many times each measurement is repeated.
    #[arg(long, default_value_t = 3)]
    repetitions: usize,
    /// Concurrent tasks, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 32])]
    concurrency: Vec<usize>,
    /// Accounts the transfers draw from.
    #[arg(long, default_value_t = 100)]
    accounts: usize,
    /// Connections in each contender's pool.
    #[arg(long, default_value_t = 10)]
    pool: u32,
    /// Replace the transfers section of this file (BENCHMARKS.md) with the results.
    #[arg(long)]
    write: Option<PathBuf>,
}

/// One way of moving money between two accounts atomically.
#[async_trait]
pub trait Contender: Send + Sync {
    fn name(&self) -> &'static str;
    /// Opens accounts `0..accounts`, each rich enough for every transfer of the run.
    async fn open(&self, accounts: usize) -> anyhow::Result<()>;
    /// Moves 1 from account `from` to account `to`, returning once committed.
    async fn transfer(&self, from: usize, to: usize) -> anyhow::Result<()>;
}

/// What every account starts with.
pub const OPENING_BALANCE: i64 = 1_000_000_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let contenders: Vec<Arc<dyn Contender>> = vec![
        Arc::new(ours::Ours::connect(&args.postgres_url, args.pool).await?),
        Arc::new(disintegrate::Disintegrate::connect(&args.postgres_url, args.pool).await?),
        Arc::new(for_update::ForUpdate::connect(&args.postgres_url, args.pool).await?),
    ];
    for contender in &contenders {
        eprintln!(
            "opening {} accounts for {}",
            args.accounts,
            contender.name()
        );
        contender.open(args.accounts).await?;
    }
    let settings = eventwright_bench::environment::postgres_settings(&args.postgres_url).await?;
    let mut cells = Vec::new();
    for _ in 0..args.repetitions {
        for &concurrency in &args.concurrency {
            for contender in &contenders {
                let cell = measure::run(
                    Arc::clone(contender),
                    concurrency,
                    args.accounts,
                    Duration::from_secs(args.seconds),
                )
                .await;
                eprintln!("{}", cell.summary());
                cells.push(cell);
            }
        }
    }
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let setup = format!(
        "{} s per measurement, {} repetitions, {} accounts, pools of {}",
        args.seconds, args.repetitions, args.accounts, args.pool
    );
    let text = report::markdown(&cells, &settings, &setup, &command);
    println!("{text}");
    if let Some(path) = &args.write {
        report::replace_section(path, &text)?;
        eprintln!("written to {}", path.display());
    }
    Ok(())
}
