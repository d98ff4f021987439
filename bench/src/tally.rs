//! What the measuring tasks of one measurement saw, put together.

use std::time::Duration;

use tokio::task::JoinHandle;

/// One task's share: the latency of each success, how many failed, and the first failure.
pub type TaskTally = (Vec<Duration>, u64, Option<String>);

/// Every task's successes, sorted, with the failures counted.
#[derive(Debug)]
pub struct Tally {
    pub latencies: Vec<Duration>,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Tally {
    /// Waits for every task and adds up what each saw.
    pub async fn of(tasks: Vec<JoinHandle<TaskTally>>) -> Self {
        let mut tally = Self {
            latencies: Vec::new(),
            errors: 0,
            first_error: None,
        };
        for task in tasks {
            let (latencies, errors, first) = task.await.expect("a measuring task does not panic");
            tally.latencies.extend(latencies);
            tally.errors += errors;
            tally.first_error = tally.first_error.or(first);
        }
        tally.latencies.sort_unstable();
        tally
    }

    /// The latency below which a share `p` (0.5, 0.99) of the successes fall.
    pub fn percentile(&self, p: f64) -> Duration {
        let last = self.latencies.len().saturating_sub(1);
        self.latencies
            .get(((self.latencies.len() as f64 * p) as usize).min(last))
            .copied()
            .unwrap_or_default()
    }
}
