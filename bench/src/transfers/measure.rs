//! One measurement: a contender and a concurrency, for a fixed time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventwright_bench::tally::Tally;

use crate::Contender;

/// What one measurement saw.
#[derive(Debug, Clone)]
pub struct Cell {
    pub contender: &'static str,
    pub concurrency: usize,
    pub transfers: u64,
    /// Transfers that failed, as their callers saw it.
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Cell {
    pub fn throughput(&self) -> f64 {
        self.transfers as f64 / self.elapsed.as_secs_f64()
    }

    pub fn summary(&self) -> String {
        let errors = match &self.first_error {
            Some(error) => format!(", {} errors, first: {error}", self.errors),
            None => String::new(),
        };
        format!(
            "{:<22} c={:<3} {:>8.0}/s p50 {:>7.2} ms p99 {:>7.2} ms{errors}",
            self.contender,
            self.concurrency,
            self.throughput(),
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
        )
    }
}

/// A small deterministic generator, one per task.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// `concurrency` tasks, each making one transfer at a time between two distinct random
/// accounts, for `duration`.
pub async fn run(
    contender: Arc<dyn Contender>,
    concurrency: usize,
    accounts: usize,
    duration: Duration,
) -> Cell {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..concurrency as u64)
        .map(|task| {
            let contender = Arc::clone(&contender);
            tokio::spawn(async move {
                let mut seed = 0x2545_F491_4F6C_DD1D ^ (task + 1);
                let mut latencies = Vec::new();
                let (mut errors, mut first_error) = (0, None);
                while Instant::now() < deadline {
                    let from = (next(&mut seed) % accounts as u64) as usize;
                    let to = (next(&mut seed) % accounts as u64) as usize;
                    if from == to {
                        continue;
                    }
                    let sent = Instant::now();
                    match contender.transfer(from, to).await {
                        Ok(()) => latencies.push(sent.elapsed()),
                        Err(error) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| format!("{error:#}"));
                        }
                    }
                }
                (latencies, errors, first_error)
            })
        })
        .collect();
    let tally = Tally::of(tasks).await;
    let elapsed = started.elapsed();
    Cell {
        contender: contender.name(),
        concurrency,
        transfers: tally.latencies.len() as u64,
        errors: tally.errors,
        first_error: tally.first_error.clone(),
        elapsed,
        p50: tally.percentile(0.50),
        p99: tally.percentile(0.99),
    }
}
