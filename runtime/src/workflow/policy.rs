//! Running a [`Policy`]: no state, so an event's commands are all there is to it.

use async_trait::async_trait;

use super::run::{Runner, With, WorkflowError};
use super::send::send_all;
use super::steps::Steps;
use super::{Events, Policy};
use crate::event::EventEnvelope;
use crate::store::{Cursor, Timer};

pub(super) struct PolicyRunner<P>(pub P);

#[async_trait]
impl<P: Policy> Runner for PolicyRunner<P> {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn has_timers(&self) -> bool {
        false
    }

    async fn on_event(
        &self,
        with: &With,
        envelope: &EventEnvelope,
        _: Option<Cursor>,
    ) -> Result<(), WorkflowError> {
        let event = P::Event::from_envelope(envelope).map_err(|error| WorkflowError::Poison {
            workflow: P::NAME,
            reason: error.to_string(),
        })?;
        let Some(event) = event else {
            return Ok(());
        };
        let mut steps = Steps::new(with.dispatcher.clock().now());
        self.0.react(&event, envelope, &mut steps);
        if let Some(reason) = steps.poisoned.take() {
            return Err(WorkflowError::Poison {
                workflow: P::NAME,
                reason,
            });
        }
        let metadata = super::process::caused_by(P::NAME, envelope);
        let cause = envelope.event_id.to_string();
        send_all(
            &with.dispatcher,
            P::NAME,
            &cause,
            &metadata,
            &mut steps,
            |refused, _| {
                super::log_refusal(P::NAME, refused);
            },
        )
        .await
        .map_err(|unanswered| WorkflowError::unanswered(P::NAME, unanswered))
    }

    async fn on_timer(&self, _: &With, _: &Timer) -> Result<(), WorkflowError> {
        Ok(())
    }
}
