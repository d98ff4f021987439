//! One measurement: a contender, a workload and a concurrency, for a fixed time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventwright_bench::tally::Tally;

use crate::contender::Contender;
use crate::workload::{Ids, Plan, Workload};

/// What one measurement saw.
#[derive(Debug, Clone)]
pub struct Cell {
    pub contender: &'static str,
    pub store: &'static str,
    pub workload: Workload,
    pub concurrency: usize,
    pub commands: u64,
    /// Commands that failed, as their callers saw it.
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Cell {
    pub fn throughput(&self) -> f64 {
        self.commands as f64 / self.elapsed.as_secs_f64()
    }

    pub fn summary(&self) -> String {
        let errors = match &self.first_error {
            Some(error) => format!(", {} errors, first: {error}", self.errors),
            None => String::new(),
        };
        format!(
            "{:<22} {:<8} {:<20} c={:<3} {:>8.0}/s p50 {:>7.2} ms p99 {:>7.2} ms{errors}",
            self.contender,
            self.store,
            self.workload.label(),
            self.concurrency,
            self.throughput(),
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
        )
    }
}

/// Runs `plan` against `contender` for `duration`: `plan.concurrency` tasks, each sending one
/// command at a time.
pub async fn run(contender: Arc<dyn Contender>, plan: Plan, duration: Duration) -> Cell {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = Ids::for_tasks(&plan)
        .into_iter()
        .map(|mut ids| {
            let contender = Arc::clone(&contender);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let (mut errors, mut first_error) = (0, None);
                while Instant::now() < deadline {
                    let target = ids.next();
                    let sent = Instant::now();
                    match contender.command(&target).await {
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
        store: contender.store(),
        workload: plan.workload,
        concurrency: plan.concurrency,
        commands: tally.latencies.len() as u64,
        errors: tally.errors,
        first_error: tally.first_error.clone(),
        elapsed,
        p50: tally.percentile(0.50),
        p99: tally.percentile(0.99),
    }
}
