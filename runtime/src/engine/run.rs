//! One projection kept up to date from a feed: the loop every source runs through, with its one
//! acknowledgement step and its one retry and dead-letter policy.

use std::sync::Arc;
use std::time::Duration;

use super::feed::{Delivery, Feed, Marks, Subscription};
use super::projector::{ProjectionError, Projector};
use super::rebuild::{OnPoison, replay};
use crate::event::EventEnvelope;
use crate::store::generation::{self, AtGeneration};
use crate::store::{Decide, EventStore, Mark, ReadStore, RowChange};

/// What the engine does with an event that fails to apply.
#[derive(Debug, Clone, Copy)]
pub(super) struct Policy {
    /// How long to wait before trying an event again.
    pub retry_delay: Duration,
    /// Attempts at an event that can never apply ([`ProjectionError::is_poison`]) before it is
    /// set aside, where the feed has somewhere to set it. Events failing for a reason that may
    /// pass (a store that is down) are tried until they apply.
    pub poison_attempts: u32,
}

/// The parts a projection's loop reads from.
pub(super) struct Parts<'a> {
    pub projector: &'a dyn Projector,
    pub read: &'a Arc<dyn ReadStore>,
    pub events: &'a dyn EventStore,
    pub feed: &'a dyn Feed,
    pub policy: Policy,
}

/// Keeps one projection's active generation up to date; returns the generation that became
/// active instead, when a rebuild switches it.
///
/// The events a subscription hands over together are applied in one read-store transaction.
/// If that fails they are applied one by one, so that an event at fault is retried, and set
/// aside, alone. The batch is acknowledged only once each of its events is applied or set
/// aside: a crash before that redelivers it, and the marks skip what was applied.
pub(super) async fn run(parts: &Parts<'_>) -> Result<u64, ProjectionError> {
    let name = parts.projector.name();
    let generation = parts.read.active(name).await?;
    let target = AtGeneration::new(Arc::clone(parts.read), generation);
    if parts.feed.marks() == Marks::PerAggregate {
        catch_up_after_switch(parts, &target).await?;
    }
    let checkpoint = target.checkpoint(name).await?;
    let mut subscription = parts.feed.subscribe(name, checkpoint).await?;
    loop {
        let batch = subscription.next_batch().await?;
        // A switched projection stops writing the old generation before its next batch; what
        // it wrote there meanwhile is dropped with it. The batch is not acknowledged, so the
        // new generation takes it again.
        let active = parts.read.active(name).await?;
        if active != generation {
            return Ok(active);
        }
        if !apply_together(parts.projector, &target, &batch).await {
            for (index, delivery) in batch.iter().enumerate() {
                apply_alone(parts, &target, subscription.as_mut(), index, delivery).await?;
            }
        }
        subscription.ack().await?;
    }
}

/// How the read store marks a delivered event: by its place in the log when the feed reads the
/// log, else by its aggregate's sequence.
fn mark<'a>(envelope: &'a EventEnvelope, delivery: &Delivery) -> Mark<'a> {
    Mark {
        cursor: delivery.cursor,
        ..Mark::delivered(envelope)
    }
}

/// Applies every delivery in one read-store transaction; `false` when one is not an event or
/// the transaction failed, and then nothing was written.
async fn apply_together(
    projector: &dyn Projector,
    target: &AtGeneration,
    batch: &[Delivery],
) -> bool {
    let events: Option<Vec<(&EventEnvelope, Mark<'_>)>> = batch
        .iter()
        .map(|delivery| {
            let envelope = delivery.event.as_ref().ok()?;
            Some((envelope, mark(envelope, delivery)))
        })
        .collect();
    match events {
        Some(events) => projector.handle_many(target, &events).await.is_ok(),
        None => false,
    }
}

/// Applies one delivery, waiting out failures that may pass, and setting aside one that can
/// never apply once its attempts are spent.
async fn apply_alone(
    parts: &Parts<'_>,
    target: &AtGeneration,
    subscription: &mut dyn Subscription,
    index: usize,
    delivery: &Delivery,
) -> Result<(), ProjectionError> {
    let name = parts.projector.name();
    let envelope = match &delivery.event {
        Ok(envelope) => envelope,
        Err(reason) => {
            let reason = format!("not an event: {reason}");
            if subscription.dead_letter(index, &reason).await? {
                tracing::error!(projection = name, %reason, "set aside a delivery that is not an event");
                return Ok(());
            }
            return Err(ProjectionError::Undeliverable(reason));
        }
    };
    let mut attempts = 0;
    loop {
        match parts
            .projector
            .handle(target, envelope, mark(envelope, delivery))
            .await
        {
            Ok(_) => return Ok(()),
            Err(error) if error.is_poison() => {
                attempts += 1;
                if attempts >= parts.policy.poison_attempts {
                    if subscription.dead_letter(index, &error.to_string()).await? {
                        tracing::error!(projection = name, event_id = %envelope.event_id, %error, "poison event set aside");
                        set_aside(parts.projector, target, mark(envelope, delivery)).await?;
                        return Ok(());
                    }
                    if attempts == parts.policy.poison_attempts {
                        tracing::error!(projection = name, event_id = %envelope.event_id, %error, "event cannot apply, and this feed has nowhere to set it aside: the projection waits at it");
                    }
                } else {
                    tracing::warn!(projection = name, event_id = %envelope.event_id, attempts, %error, "event failed to apply; retrying");
                }
            }
            Err(error) => {
                tracing::warn!(projection = name, event_id = %envelope.event_id, %error, "cannot apply yet; retrying");
            }
        }
        tokio::time::sleep(parts.policy.retry_delay).await;
    }
}

/// Marks an event set aside as handled, changing no row: what waits on the projection's marks
/// (a consistency token, a projection copying its rows, a watch) goes on past it instead of
/// waiting for an event that will never apply.
async fn set_aside(
    projector: &dyn Projector,
    target: &AtGeneration,
    mark: Mark<'_>,
) -> Result<(), ProjectionError> {
    let nothing: Decide<'_> = Box::new(|_| Ok(RowChange::None));
    target
        .update(projector.schema(), projector.name(), mark, None, nothing)
        .await?;
    Ok(())
}

/// On a rebuilt generation fed per aggregate, replays the log from where the rebuild stopped,
/// once per generation: the old generation's consumers may have taken deliveries (and
/// acknowledged them) that the rebuild had not read yet.
async fn catch_up_after_switch(
    parts: &Parts<'_>,
    target: &AtGeneration,
) -> Result<(), ProjectionError> {
    let generation = target.generation();
    let name = parts.projector.name();
    let replayed = generation::replayed_marker(name);
    if generation == 0 || parts.read.active(&replayed).await? >= generation {
        return Ok(());
    }
    let events = replay(
        parts.events,
        target,
        parts.projector,
        Marks::PerAggregate,
        OnPoison::Skip,
        |_, _| {},
    )
    .await?;
    parts.read.activate(&replayed, generation).await?;
    tracing::info!(
        projection = name,
        generation,
        events,
        "rebuilt generation caught up from the log"
    );
    Ok(())
}
