//! One workflow kept up to date from a feed: each delivery handled in order, failures that may
//! pass retried, and an event that can never be handled set aside where the feed can.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::send::Unanswered;
use crate::dispatch::Dispatcher;
use crate::engine::{Delivery, Feed, FeedError, Subscription};
use crate::event::EventEnvelope;
use crate::store::{Cursor, StoreError, Timer, WorkflowStore};

/// Why a workflow could not handle an event or a timer.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The event or timer can never be handled: it does not decode, or the process's stored
    /// state no longer deserializes.
    #[error("workflow {workflow}: {reason}")]
    Poison {
        workflow: &'static str,
        reason: String,
    },
    /// A command the step sent got no answer; the step is tried again.
    #[error("workflow {workflow}: {source}")]
    Unanswered {
        workflow: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Feed(#[from] FeedError),
}

impl WorkflowError {
    pub(super) fn unanswered(workflow: &'static str, unanswered: Unanswered) -> Self {
        Self::Unanswered {
            workflow,
            source: Box::new(unanswered),
        }
    }

    /// Whether trying again can never help.
    pub fn is_poison(&self) -> bool {
        matches!(self, Self::Poison { .. })
    }
}

/// What the engine needs of a workflow, whatever kind it is.
#[async_trait]
pub(super) trait Runner: Send + Sync + 'static {
    fn name(&self) -> &'static str;

    /// Whether it sets timers, for the timer loop to look for them.
    fn has_timers(&self) -> bool;

    /// Handles one event, once in effect however often it is delivered; `cursor` is where it
    /// stands in the log, when the feed reads the log.
    async fn on_event(
        &self,
        with: &With,
        envelope: &EventEnvelope,
        cursor: Option<Cursor>,
    ) -> Result<(), WorkflowError>;

    /// Fires one due timer, unless it was moved or dropped since it was read.
    async fn on_timer(&self, with: &With, timer: &Timer) -> Result<(), WorkflowError>;
}

/// What every step works with.
pub(super) struct With {
    pub dispatcher: Dispatcher,
    pub store: Arc<dyn WorkflowStore>,
    pub turns: super::turns::Turns,
}

/// How the engine treats failures.
#[derive(Debug, Clone, Copy)]
pub(super) struct Policy {
    pub retry_delay: Duration,
    /// Attempts at a poison event before it is set aside, where the feed can.
    pub poison_attempts: u32,
}

/// Follows `feed` for one workflow until it fails; deliveries are acknowledged, and the log
/// checkpoint kept, only once handled or set aside.
pub(super) async fn run(
    runner: &dyn Runner,
    with: &With,
    feed: &dyn Feed,
    policy: Policy,
) -> Result<(), WorkflowError> {
    let name = runner.name();
    let checkpoint = with.store.workflow_checkpoint(name).await?;
    let mut subscription = feed.subscribe(&subscriber(name), checkpoint).await?;
    loop {
        let batch = subscription.next_batch().await?;
        let mut saved = Instant::now();
        for (index, delivery) in batch.iter().enumerate() {
            handle(runner, with, subscription.as_mut(), policy, index, delivery).await?;
            // On the log, every event up to this one is handled: a restart in a long batch
            // resumes here rather than go through the batch again.
            if let Some(cursor) = delivery.cursor
                && saved.elapsed() >= CHECKPOINT_EVERY
            {
                with.store.save_workflow_checkpoint(name, cursor).await?;
                saved = Instant::now();
            }
        }
        subscription.ack().await?;
        if let Some(cursor) = batch.iter().rev().find_map(|delivery| delivery.cursor) {
            with.store.save_workflow_checkpoint(name, cursor).await?;
        }
    }
}

/// How often, at most, a workflow fed from the log keeps its checkpoint within a batch.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// The name a workflow subscribes to a feed under (its consumer group and dead-letter topic
/// on Kafka), apart from every projection's.
pub(super) fn subscriber(workflow: &str) -> String {
    format!("workflow.{workflow}")
}

/// Handles one delivery, waiting out failures that may pass; sets aside one that can never be
/// handled once its attempts are spent, or waits at it where the feed cannot.
async fn handle(
    runner: &dyn Runner,
    with: &With,
    subscription: &mut dyn Subscription,
    policy: Policy,
    index: usize,
    delivery: &Delivery,
) -> Result<(), WorkflowError> {
    let workflow = runner.name();
    let envelope = match &delivery.event {
        Ok(envelope) => envelope,
        Err(reason) => {
            let reason = format!("not an event: {reason}");
            if subscription.dead_letter(index, &reason).await? {
                tracing::error!(workflow, %reason, "set aside a delivery that is not an event");
                return Ok(());
            }
            return Err(WorkflowError::Poison { workflow, reason });
        }
    };
    let mut attempts = 0;
    loop {
        match runner.on_event(with, envelope, delivery.cursor).await {
            Ok(()) => return Ok(()),
            Err(error) if error.is_poison() => {
                attempts += 1;
                if attempts >= policy.poison_attempts {
                    if subscription.dead_letter(index, &error.to_string()).await? {
                        tracing::error!(workflow, event_id = %envelope.event_id, %error, "poison event set aside");
                        return Ok(());
                    }
                    if attempts == policy.poison_attempts {
                        tracing::error!(workflow, event_id = %envelope.event_id, %error, "event cannot be handled, and this feed has nowhere to set it aside: the workflow waits at it");
                    }
                } else {
                    tracing::warn!(workflow, event_id = %envelope.event_id, attempts, %error, "event failed; retrying");
                }
            }
            Err(error) => {
                tracing::warn!(workflow, event_id = %envelope.event_id, %error, "cannot handle the event yet; retrying");
            }
        }
        tokio::time::sleep(policy.retry_delay).await;
    }
}
