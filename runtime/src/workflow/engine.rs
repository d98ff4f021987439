//! [`WorkflowEngine`]: the workflows a service runs, each from a feed, and their timers.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::policy::PolicyRunner;
use super::process::ProcessRunner;
use super::run::{self, Runner, With, WorkflowError};
use super::timers;
use super::{Policy, ProcessManager};
use crate::dispatch::Dispatcher;
use crate::engine::Feed;
use crate::store::WorkflowStore;

/// Runs policies and process managers: each follows the feed on its own task (a consumer
/// group of its own on Kafka, so instances of a service share its partitions), and one task
/// fires the timers that come due, by the dispatcher's clock.
///
/// ```no_run
/// # async fn run(
/// #     dispatcher: eventwright::Dispatcher,
/// #     store: std::sync::Arc<eventwright::store::sqlite::SqliteEventStore>,
/// #     feed: std::sync::Arc<dyn eventwright::engine::Feed>,
/// # ) {
/// use eventwright::workflow::WorkflowEngine;
/// let workflows = WorkflowEngine::new(dispatcher, store, feed);
/// // .with_policy(RemindOverdueMembers).with_process(Fulfilment::default())
/// let tasks = workflows.spawn();
/// # }
/// ```
#[derive(Clone)]
pub struct WorkflowEngine {
    with: Arc<With>,
    feed: Arc<dyn Feed>,
    runners: Vec<Arc<dyn Runner>>,
    policy: run::Policy,
    timer_poll: Duration,
}

/// How far a workflow is behind, for `/metrics` and a status display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowStatus {
    pub name: &'static str,
    /// Events it has yet to take.
    pub behind: u64,
    /// Timers it has set that have not fired.
    pub pending_timers: u64,
}

impl std::fmt::Debug for WorkflowEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.runners.iter().map(|runner| runner.name()).collect();
        f.debug_struct("WorkflowEngine")
            .field("workflows", &names)
            .finish_non_exhaustive()
    }
}

impl WorkflowEngine {
    /// Workflows that send their commands through `dispatcher`, keep their processes and
    /// timers in `store` (the event store's database) and follow `feed`.
    pub fn new(dispatcher: Dispatcher, store: Arc<dyn WorkflowStore>, feed: Arc<dyn Feed>) -> Self {
        Self {
            with: Arc::new(With {
                dispatcher,
                store,
                turns: Default::default(),
            }),
            feed,
            runners: Vec::new(),
            policy: run::Policy {
                retry_delay: Duration::from_millis(500),
                poison_attempts: 3,
            },
            timer_poll: Duration::from_millis(250),
        }
    }

    pub fn with_policy<P: Policy>(mut self, policy: P) -> Self {
        self.runners.push(Arc::new(PolicyRunner(policy)));
        self
    }

    pub fn with_process<M: ProcessManager>(mut self, manager: M) -> Self {
        self.runners.push(Arc::new(ProcessRunner(manager)));
        self
    }

    /// How long to wait before trying a failed event again (by default 500 ms).
    pub fn with_retry_delay(mut self, retry_delay: Duration) -> Self {
        self.policy.retry_delay = retry_delay;
        self
    }

    /// Attempts at an event that can never be handled before it is set aside (by default 3).
    pub fn with_poison_attempts(mut self, attempts: u32) -> Self {
        self.policy.poison_attempts = attempts.max(1);
        self
    }

    /// How often to look for due timers (by default every 250 ms): how late a timer may fire.
    pub fn with_timer_poll(mut self, every: Duration) -> Self {
        self.timer_poll = every;
        self
    }

    /// The names of the workflows, in the order added.
    pub fn names(&self) -> Vec<&'static str> {
        self.runners.iter().map(|runner| runner.name()).collect()
    }

    /// Starts a task per workflow, each restarting from its checkpoint after a failure, and
    /// one that fires due timers.
    pub fn spawn(&self) -> Vec<JoinHandle<()>> {
        let mut tasks: Vec<JoinHandle<()>> = self
            .runners
            .iter()
            .map(|runner| {
                let engine = self.clone();
                let runner = Arc::clone(runner);
                tokio::spawn(async move {
                    loop {
                        // In a task of its own, so that a step that panics (user code) is
                        // reported and the workflow starts again from its checkpoint.
                        let (engine_run, runner_run) = (engine.clone(), Arc::clone(&runner));
                        let ran = tokio::spawn(async move {
                            run::run(
                                runner_run.as_ref(),
                                &engine_run.with,
                                engine_run.feed.as_ref(),
                                engine_run.policy,
                            )
                            .await
                        });
                        match ran.await {
                            Ok(Ok(())) => {}
                            Ok(Err(error)) => {
                                tracing::error!(workflow = runner.name(), %error, "workflow failed; retrying");
                            }
                            Err(panicked) => {
                                tracing::error!(workflow = runner.name(), error = %panicked, "workflow panicked; starting it again");
                            }
                        }
                        tokio::time::sleep(engine.policy.retry_delay).await;
                    }
                })
            })
            .collect();
        if self.runners.iter().any(|runner| runner.has_timers()) {
            let engine = self.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let firing = engine.clone();
                    let fired = tokio::spawn(async move {
                        timers::fire_due(&firing.runners, &firing.with, firing.timer_poll).await;
                    });
                    // It returns only by panicking (in a workflow's code): started again.
                    if let Err(panicked) = fired.await {
                        tracing::error!(error = %panicked, "the timer loop panicked; starting it again");
                        tokio::time::sleep(engine.policy.retry_delay).await;
                    }
                }
            }));
        }
        tasks
    }

    /// Fires, now, every timer due by the dispatcher's clock; returns how many fired. For
    /// tests and tools; [`spawn`](Self::spawn) fires them as they come due.
    pub async fn fire_due_timers(&self) -> usize {
        let mut fired = 0;
        for runner in &self.runners {
            fired += timers::fire_due_of(runner.as_ref(), &self.with).await;
        }
        fired
    }

    /// Each workflow's lag and pending timers.
    pub async fn status(&self) -> Result<Vec<WorkflowStatus>, WorkflowError> {
        let mut statuses = Vec::with_capacity(self.runners.len());
        for runner in &self.runners {
            let name = runner.name();
            let checkpoint = self.with.store.workflow_checkpoint(name).await?;
            statuses.push(WorkflowStatus {
                name,
                behind: self.feed.behind(&run::subscriber(name), checkpoint).await?,
                pending_timers: self.with.store.pending_timers(name).await?,
            });
        }
        Ok(statuses)
    }

    /// Publishes each workflow's status as gauges through the `metrics` facade:
    /// `eventwright_workflow_behind{workflow}` and
    /// `eventwright_workflow_pending_timers{workflow}`.
    pub async fn record_metrics(&self) -> Result<(), WorkflowError> {
        for status in self.status().await? {
            metrics::gauge!("eventwright_workflow_behind", "workflow" => status.name)
                .set(status.behind as f64);
            metrics::gauge!("eventwright_workflow_pending_timers", "workflow" => status.name)
                .set(status.pending_timers as f64);
        }
        Ok(())
    }
}
