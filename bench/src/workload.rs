//! What each task addresses: a fresh aggregate per command, its own preloaded aggregates in turn,
//! or one of four hot aggregates that every task shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Every command starts a new aggregate.
    Fresh,
    /// Each task cycles over its own share of the preloaded aggregates.
    History,
    /// All tasks on 4 aggregates, which move on every [`HOT_RUN`] commands so their histories
    /// stay short.
    Hot,
}

/// Commands a hot aggregate takes before the next one replaces it.
const HOT_RUN: u64 = 40;
const HOT_AGGREGATES: usize = 4;

impl Workload {
    pub const ALL: [Workload; 3] = [Workload::Fresh, Workload::History, Workload::Hot];

    pub fn label(self) -> &'static str {
        match self {
            Workload::Fresh => "fresh aggregates",
            Workload::History => "100-event histories",
            Workload::Hot => "4 hot aggregates",
        }
    }
}

/// One measurement's workload.
#[derive(Debug, Clone)]
pub struct Plan {
    pub workload: Workload,
    pub concurrency: usize,
    /// How many aggregates were preloaded, as `h-0`, `h-1`, ...
    pub aggregates: usize,
    /// Makes this measurement's new aggregates its own.
    pub run: String,
}

/// The aggregate a command goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An aggregate no command has touched: the command records its first event.
    New(String),
    /// An aggregate that may exist already; if it does not, the command starts it.
    Existing(String),
}

/// The ids one task sends its commands to, in order.
#[derive(Debug)]
pub struct Ids {
    plan: Plan,
    task: usize,
    sent: u64,
    hot: Arc<[AtomicU64; HOT_AGGREGATES]>,
}

impl Ids {
    /// The ids of every task of `plan`: they share the hot aggregates' counters.
    pub fn for_tasks(plan: &Plan) -> Vec<Ids> {
        let hot = Arc::new(std::array::from_fn(|_| AtomicU64::new(0)));
        (0..plan.concurrency)
            .map(|task| Ids {
                plan: plan.clone(),
                task,
                sent: 0,
                hot: Arc::clone(&hot),
            })
            .collect()
    }

    pub fn next(&mut self) -> Target {
        let (plan, task, sent) = (&self.plan, self.task, self.sent);
        self.sent += 1;
        match plan.workload {
            Workload::Fresh => Target::New(format!("f-{}-{task}-{sent}", plan.run)),
            Workload::History => {
                let share = (plan.aggregates / plan.concurrency).max(1) as u64;
                let aggregate = task as u64 + (sent % share) * plan.concurrency as u64;
                Target::Existing(format!("h-{aggregate}"))
            }
            Workload::Hot => {
                let slot = (task + sent as usize) % HOT_AGGREGATES;
                let taken = self.hot[slot].fetch_add(1, Ordering::Relaxed);
                Target::Existing(format!("hot-{}-{slot}-{}", plan.run, taken / HOT_RUN))
            }
        }
    }
}
