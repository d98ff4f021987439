//! Running a [`ProcessManager`]: each step reads its process, decides, sends its commands and
//! keeps its state and timers, from the version it read.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Serialize;

use super::run::{Runner, With, WorkflowError};
use super::send::send_all;
use super::steps::Steps;
use super::{Events, ProcessManager};
use crate::event::{EventEnvelope, Metadata};
use crate::store::{Cursor, Instance, Step, StoreError, Timer};

/// How many times a step is decided again when another step of its process committed first,
/// before the failure goes to the engine's retries.
const CONFLICT_RETRIES: u32 = 5;

pub(super) struct ProcessRunner<M>(pub M);

/// The metadata of the commands a workflow sends for `envelope`: caused by it, in its
/// correlation, sent by the workflow.
pub(super) fn caused_by(workflow: &str, envelope: &EventEnvelope) -> Metadata {
    Metadata {
        correlation_id: envelope
            .metadata
            .correlation_id
            .clone()
            .or_else(|| Some(envelope.event_id.to_string())),
        causation_id: Some(envelope.event_id.to_string()),
        traceparent: envelope.metadata.traceparent.clone(),
        actor: Some(format!("workflow:{workflow}")),
    }
}

impl<M: ProcessManager> ProcessRunner<M> {
    /// Sends a step's commands; a refused one goes to the process's compensation.
    async fn send(
        &self,
        with: &With,
        cause: &str,
        metadata: &Metadata,
        state: &mut M::State,
        steps: &mut Steps<M::Timer>,
    ) -> Result<(), WorkflowError> {
        send_all(
            &with.dispatcher,
            M::NAME,
            cause,
            metadata,
            steps,
            |refused, steps| {
                self.0.on_refused(state, refused, steps);
            },
        )
        .await
        .map_err(|unanswered| WorkflowError::unanswered(M::NAME, unanswered))
    }
}

#[async_trait]
impl<M: ProcessManager> Runner for ProcessRunner<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }

    fn has_timers(&self) -> bool {
        true
    }

    async fn on_event(
        &self,
        with: &With,
        envelope: &EventEnvelope,
        cursor: Option<Cursor>,
    ) -> Result<(), WorkflowError> {
        let event = M::Event::from_envelope(envelope).map_err(|error| poison::<M>(error))?;
        let Some(event) = event else {
            return Ok(());
        };
        let Some(correlation) = self.0.correlate(&event, envelope) else {
            return Ok(());
        };
        let _turn = with.turns.take(M::NAME, &correlation).await;
        let stream = format!("{}/{}", envelope.aggregate_type, envelope.aggregate_id);
        let cause = envelope.event_id.to_string();
        let metadata = caused_by(M::NAME, envelope);
        let mut conflicts = 0;
        loop {
            let instance = with.store.load_instance(M::NAME, &correlation).await?;
            let read_version = instance.as_ref().map_or(0, |instance| instance.version);
            let (mut state, mut marks) = match instance {
                None if !self.0.starts(&event) => return Ok(()),
                None => (M::State::default(), started_at(cursor)),
                Some(Instance { state: None, .. }) => return Ok(()),
                Some(Instance { marks, .. })
                    if marks
                        .get(&stream)
                        .is_some_and(|seen| *seen >= envelope.sequence)
                        || before_start(&marks, cursor) =>
                {
                    return Ok(());
                }
                Some(Instance {
                    state: Some(state),
                    marks,
                    ..
                }) => (restore::<M>(state)?, marks),
            };
            let mut steps = Steps::new(with.dispatcher.clock().now());
            self.0.handle(&mut state, &event, envelope, &mut steps);
            if let Some(reason) = steps.poisoned.take() {
                return Err(poison::<M>(reason));
            }
            self.send(with, &cause, &metadata, &mut state, &mut steps)
                .await?;
            marks.insert(stream.clone(), envelope.sequence);
            let step = step::<M>(&correlation, read_version, &state, marks, None, steps)?;
            match with.store.commit_step(step).await {
                Err(StoreError::Conflict { .. }) if conflicts < CONFLICT_RETRIES => {
                    conflicts += 1;
                    tracing::debug!(workflow = M::NAME, %correlation, conflicts, "another step of the process committed first; deciding again");
                }
                committed => return Ok(committed?),
            }
        }
    }

    async fn on_timer(&self, with: &With, timer: &Timer) -> Result<(), WorkflowError> {
        let correlation = &timer.correlation;
        let _turn = with.turns.take(M::NAME, correlation).await;
        let cause = format!(
            "timer:{correlation}:{}:{}",
            timer.name,
            timer.due.timestamp_millis()
        );
        let metadata = Metadata {
            correlation_id: Some(correlation.clone()),
            causation_id: Some(cause.clone()),
            traceparent: None,
            actor: Some(format!("workflow:{}", M::NAME)),
        };
        let mut conflicts = 0;
        loop {
            let Some(instance) = with.store.load_instance(M::NAME, correlation).await? else {
                return Ok(());
            };
            let Some(state) = instance.state else {
                return Ok(());
            };
            let pending = with.store.timer(M::NAME, correlation, &timer.name).await?;
            if pending
                .as_ref()
                .is_none_or(|pending| pending.due != timer.due)
            {
                return Ok(());
            }
            let mut state = match restore::<M>(state.clone()) {
                Ok(restored) => restored,
                // It could never fire: it goes, rather than hold up the timers due after it.
                Err(error) => {
                    tracing::error!(workflow = M::NAME, %correlation, timer = timer.name, %error, "dropped a timer of a process whose state no longer deserializes");
                    let step = Step {
                        workflow: M::NAME,
                        correlation,
                        read_version: instance.version,
                        state: Some(state),
                        marks: instance.marks,
                        fired: Some(timer),
                        schedule: Vec::new(),
                        cancel: Vec::new(),
                    };
                    return Ok(with.store.commit_step(step).await?);
                }
            };
            let mut steps = Steps::new(with.dispatcher.clock().now());
            match serde_json::from_value::<M::Timer>(timer.timer.clone()) {
                Ok(payload) => self.0.on_timer(&mut state, payload, &mut steps),
                // Firing it again would fail the same way: it goes, with the state unchanged.
                Err(error) => {
                    tracing::error!(workflow = M::NAME, %correlation, timer = timer.name, %error, "a timer that no longer deserializes was dropped")
                }
            }
            self.send(with, &cause, &metadata, &mut state, &mut steps)
                .await?;
            let step = step::<M>(
                correlation,
                instance.version,
                &state,
                instance.marks,
                Some(timer),
                steps,
            )?;
            match with.store.commit_step(step).await {
                Err(StoreError::Conflict { .. }) if conflicts < CONFLICT_RETRIES => {
                    conflicts += 1;
                }
                committed => return Ok(committed?),
            }
        }
    }
}

/// The marks of a process started by the event at `cursor` in the log: an event before it,
/// ignored when first delivered because no process had started, is ignored again when
/// delivered again after a crash, rather than handled by the process started since.
fn started_at(cursor: Option<Cursor>) -> BTreeMap<String, u64> {
    let mut marks = BTreeMap::new();
    if let Some(cursor) = cursor {
        marks.insert(START_TRANSACTION.to_owned(), cursor.transaction);
        marks.insert(START_POSITION.to_owned(), cursor.position);
    }
    marks
}

/// Whether the event at `cursor` came before the one that started the process.
fn before_start(marks: &BTreeMap<String, u64>, cursor: Option<Cursor>) -> bool {
    let (Some(cursor), Some(transaction), Some(position)) = (
        cursor,
        marks.get(START_TRANSACTION),
        marks.get(START_POSITION),
    ) else {
        return false;
    };
    cursor
        < Cursor {
            transaction: *transaction,
            position: *position,
        }
}

/// Where the event that started a process stands in the log, kept among its marks (no
/// aggregate's `type/id` starts with `@`).
const START_TRANSACTION: &str = "@start.transaction";
const START_POSITION: &str = "@start.position";

/// What a step commits: the state it leaves (none once finished), and its timers.
fn step<'a, M: ProcessManager>(
    correlation: &'a str,
    read_version: u64,
    state: &M::State,
    marks: BTreeMap<String, u64>,
    fired: Option<&'a Timer>,
    steps: Steps<M::Timer>,
) -> Result<Step<'a>, WorkflowError> {
    let state = if steps.finished {
        None
    } else {
        Some(to_json::<M>(state)?)
    };
    let schedule = steps
        .schedule
        .into_iter()
        .map(|(name, due, timer)| {
            Ok(Timer {
                workflow: M::NAME.to_owned(),
                correlation: correlation.to_owned(),
                name,
                due,
                timer: to_json::<M>(&timer)?,
            })
        })
        .collect::<Result<_, WorkflowError>>()?;
    Ok(Step {
        workflow: M::NAME,
        correlation,
        read_version,
        state,
        marks,
        fired,
        schedule,
        cancel: steps.cancel,
    })
}

fn restore<M: ProcessManager>(state: serde_json::Value) -> Result<M::State, WorkflowError> {
    serde_json::from_value(state).map_err(|error| WorkflowError::Poison {
        workflow: M::NAME,
        reason: format!("the stored state no longer deserializes: {error}"),
    })
}

fn to_json<M: ProcessManager>(value: &impl Serialize) -> Result<serde_json::Value, WorkflowError> {
    serde_json::to_value(value).map_err(|error| poison::<M>(error))
}

fn poison<M: ProcessManager>(error: impl std::fmt::Display) -> WorkflowError {
    WorkflowError::Poison {
        workflow: M::NAME,
        reason: error.to_string(),
    }
}
