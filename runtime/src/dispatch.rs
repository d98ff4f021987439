//! Command dispatch: load the aggregate, decide, commit with optimistic concurrency, notify.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use crate::aggregate::{Aggregate, Persistence};
use crate::bus::EventBus;
use crate::command::{Command, Handle, Rejection, ValidationErrors};
use crate::consistency::ConsistencyToken;
use crate::event::{DecodeError, Event, EventEnvelope, Metadata, NewEvent};
use crate::store::{EventStore, Snapshot, StoreError};

/// Runs commands against aggregates kept in an [`EventStore`].
///
/// Each command loads its aggregate, is decided by the aggregate's [`Handle`] impl, and its events
/// are appended with the sequence numbers that follow what was loaded; a
/// [state-stored](Persistence::StateStored) aggregate's new state row is written in the same
/// transaction. When another writer got there first the commit fails as a whole, and the command
/// is re-decided against the fresh state (the state it had, moved forward by the events it
/// missed, or the state row as it is now) up to
/// [`Command::RETRIES_ON_CONFLICT`] times; an event is never lost or written twice. Before each
/// retry it waits a random time below 1 ms, doubling with each conflict in a row up to 256 ms:
/// writers that keep colliding on one hot aggregate spread out instead of all retrying at once,
/// and the database does far less wasted work per committed command.
///
/// # Snapshots
///
/// For an aggregate with [`SNAPSHOT_EVERY`](Aggregate::SNAPSHOT_EVERY) set, loading starts from
/// the store's newest snapshot and applies only the events after it, so a command costs the same
/// on the aggregate's ten-thousandth event as on its tenth. A command whose events reach a
/// multiple of `SNAPSHOT_EVERY` then stores a snapshot of the state they lead to. Snapshots never
/// change an outcome:
///
/// - a snapshot that cannot be read or no longer restores ([`Aggregate::restore`] fails) is
///   logged at `warn` and ignored: the state is rebuilt from every event;
/// - failing to take or store a snapshot is logged at `warn`; the command has committed anyway;
/// - an [`EventStore`] that keeps no snapshots makes every load read every event.
#[derive(Clone)]
pub struct Dispatcher {
    store: Arc<dyn EventStore>,
    bus: Arc<dyn EventBus>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}

/// What a successful command did.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    /// The aggregate's version (the sequence of its last event) after the command.
    pub version: u64,
    /// The global position of the command's last event. `None` when the command recorded no
    /// event.
    pub position: Option<u64>,
    pub events: Vec<EventEnvelope>,
}

impl Committed {
    /// What a reader passes to see this command's effect: the aggregate at this version. `None`
    /// for an aggregate that has no event yet, which leaves nothing to wait for.
    pub fn consistency_token(&self) -> Option<ConsistencyToken> {
        (self.version > 0).then(|| ConsistencyToken {
            aggregate_type: self.aggregate_type.to_owned(),
            aggregate_id: self.aggregate_id.clone(),
            version: self.version,
        })
    }
}

/// Why a command did not commit.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("invalid command: {0}")]
    Invalid(ValidationErrors),
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("{aggregate_type} {aggregate_id} does not exist")]
    NotFound {
        aggregate_type: &'static str,
        aggregate_id: String,
    },
    #[error("{aggregate_type} {aggregate_id} already exists")]
    AlreadyExists {
        aggregate_type: &'static str,
        aggregate_id: String,
    },
    #[error("{aggregate_type} {aggregate_id} was changed concurrently; retry the command")]
    Conflict {
        aggregate_type: &'static str,
        aggregate_id: String,
    },
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("cannot encode event: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(transparent)]
    Store(StoreError),
}

impl Dispatcher {
    pub fn new(store: Arc<dyn EventStore>, bus: Arc<dyn EventBus>) -> Self {
        Self { store, bus }
    }

    /// Validates, decides and commits `command`.
    ///
    /// Counts each command in `eventwright_commands_total{command, outcome}` (outcome
    /// `accepted`, `invalid`, `refused`, `conflict` or `failed`) and each conflict it retried
    /// in `eventwright_command_conflicts_total{command}`, through the `metrics` facade: free
    /// unless the service installs a recorder.
    pub async fn dispatch<C>(
        &self,
        command: C,
        metadata: Metadata,
    ) -> Result<Committed, DispatchError>
    where
        C: Command,
        C::Aggregate: Handle<C>,
    {
        let result = self.decide_and_commit(command, metadata).await;
        let outcome = match &result {
            Ok(_) => "accepted",
            Err(DispatchError::Invalid(_)) => "invalid",
            Err(
                DispatchError::Rejected(_)
                | DispatchError::NotFound { .. }
                | DispatchError::AlreadyExists { .. },
            ) => "refused",
            Err(DispatchError::Conflict { .. }) => "conflict",
            Err(_) => "failed",
        };
        metrics::counter!("eventwright_commands_total", "command" => C::NAME, "outcome" => outcome)
            .increment(1);
        result
    }

    async fn decide_and_commit<C>(
        &self,
        command: C,
        metadata: Metadata,
    ) -> Result<Committed, DispatchError>
    where
        C: Command,
        C::Aggregate: Handle<C>,
    {
        command.validate().map_err(DispatchError::Invalid)?;
        let aggregate_id = command.aggregate_id().to_string();
        let mut conflicts = 0;
        let (mut state, mut version) = self.load::<C::Aggregate>(&aggregate_id).await?;
        loop {
            let events = decide(&state, version, &command)?;
            if events.is_empty() {
                return Ok(Committed {
                    aggregate_type: C::Aggregate::TYPE,
                    aggregate_id,
                    version,
                    position: None,
                    events: Vec::new(),
                });
            }
            let new_events = encode::<C::Aggregate>(&aggregate_id, version, &events, &metadata)?;
            let committed = match C::Aggregate::PERSISTENCE {
                Persistence::EventSourced => self.store.append(new_events).await,
                Persistence::StateStored => {
                    // The state moves on in place; a conflict reloads it from its row.
                    for event in &events {
                        state.apply_event(event);
                    }
                    let row = state.snapshot()?;
                    self.store.commit_state(version, row, new_events).await
                }
            };
            match committed {
                Ok(stored) => {
                    if let Err(error) = self.bus.publish(&stored).await {
                        // The events are committed; subscribers read them from the log anyway.
                        tracing::warn!(%error, "publishing committed events failed");
                    }
                    let last = stored.last().expect("at least one event was appended");
                    // A state-stored aggregate's row is its snapshot, already written.
                    if C::Aggregate::PERSISTENCE == Persistence::EventSourced
                        && crosses_snapshot(C::Aggregate::SNAPSHOT_EVERY, version, last.sequence)
                    {
                        for event in &events {
                            state.apply_event(event);
                        }
                        self.save_snapshot(&aggregate_id, &state, last.sequence)
                            .await;
                    }
                    return Ok(Committed {
                        aggregate_type: C::Aggregate::TYPE,
                        aggregate_id,
                        version: last.sequence,
                        position: Some(last.position),
                        events: stored,
                    });
                }
                Err(StoreError::Conflict { .. }) if conflicts < C::RETRIES_ON_CONFLICT => {
                    conflicts += 1;
                    metrics::counter!("eventwright_command_conflicts_total", "command" => C::NAME)
                        .increment(1);
                    tracing::debug!(command = C::NAME, %aggregate_id, conflicts, "conflict; deciding again on fresh state");
                    tokio::time::sleep(backoff(conflicts)).await;
                    match C::Aggregate::PERSISTENCE {
                        // Only the events the other writers added: the state so far is still right.
                        Persistence::EventSourced => {
                            self.catch_up(&aggregate_id, &mut state, &mut version)
                                .await?;
                        }
                        Persistence::StateStored => {
                            (state, version) = self.load_state(&aggregate_id).await?;
                        }
                    }
                }
                Err(StoreError::Conflict { .. }) => {
                    return Err(DispatchError::Conflict {
                        aggregate_type: C::Aggregate::TYPE,
                        aggregate_id,
                    });
                }
                Err(error) => return Err(DispatchError::Store(error)),
            }
        }
    }

    /// The aggregate's current state and version (0 when it has no events). A state-stored
    /// aggregate comes from its state row; an event-sourced one from its newest snapshot when it
    /// has a usable one, otherwise from its first event.
    pub async fn load<A: Aggregate>(&self, aggregate_id: &str) -> Result<(A, u64), DispatchError> {
        if A::PERSISTENCE == Persistence::StateStored {
            return self.load_state(aggregate_id).await;
        }
        let (mut state, mut version) = self.restore::<A>(aggregate_id).await;
        self.catch_up(aggregate_id, &mut state, &mut version)
            .await?;
        Ok((state, version))
    }

    /// A state-stored aggregate's state row, or the empty state at version 0. Unlike a snapshot,
    /// a row that no longer restores is an error: there are no events to rebuild it from.
    async fn load_state<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<(A, u64), DispatchError> {
        let stored = self
            .store
            .load_state(A::TYPE, aggregate_id)
            .await
            .map_err(DispatchError::Store)?;
        let Some(Snapshot { sequence, state }) = stored else {
            return Ok((A::default(), 0));
        };
        let state = A::restore(state).map_err(|error| {
            DispatchError::Store(StoreError::Corrupt(format!(
                "the stored state of {} {aggregate_id} no longer deserializes: {error}",
                A::TYPE
            )))
        })?;
        Ok((state, sequence))
    }

    /// The state in the aggregate's newest snapshot and its sequence, or the empty state at 0.
    async fn restore<A: Aggregate>(&self, aggregate_id: &str) -> (A, u64) {
        if A::SNAPSHOT_EVERY.is_none() {
            return (A::default(), 0);
        }
        let aggregate_type = A::TYPE;
        match self.store.load_snapshot(aggregate_type, aggregate_id).await {
            Ok(None) => (A::default(), 0),
            Ok(Some(Snapshot { sequence, state })) => match A::restore(state) {
                Ok(state) => (state, sequence),
                Err(error) => {
                    tracing::warn!(aggregate_type, aggregate_id, sequence, %error, "ignoring a snapshot that no longer restores; loading every event");
                    (A::default(), 0)
                }
            },
            Err(error) => {
                tracing::warn!(aggregate_type, aggregate_id, %error, "cannot read the snapshot; loading every event");
                (A::default(), 0)
            }
        }
    }

    /// Applies the aggregate's events after `version` to `state`.
    async fn catch_up<A: Aggregate>(
        &self,
        aggregate_id: &str,
        state: &mut A,
        version: &mut u64,
    ) -> Result<(), DispatchError> {
        let envelopes = self
            .store
            .load(A::TYPE, aggregate_id, *version)
            .await
            .map_err(DispatchError::Store)?;
        for envelope in envelopes {
            let event = envelope.decode::<A::Event>()?.ok_or_else(|| {
                DecodeError::new(
                    &envelope.event_type,
                    envelope.event_version,
                    format!("not an event of {}", A::TYPE),
                )
            })?;
            state.apply_event(&event);
            *version = envelope.sequence;
        }
        Ok(())
    }

    /// Stores `state` as the aggregate's snapshot at `sequence`. The events are committed
    /// already, so a failure here only costs later loads time: it is logged, never returned.
    async fn save_snapshot<A: Aggregate>(&self, aggregate_id: &str, state: &A, sequence: u64) {
        let aggregate_type = A::TYPE;
        let saved = match state.snapshot() {
            Ok(state) => {
                self.store
                    .save_snapshot(aggregate_type, aggregate_id, Snapshot { sequence, state })
                    .await
            }
            Err(error) => {
                tracing::warn!(aggregate_type, aggregate_id, sequence, %error, "cannot take a snapshot");
                return;
            }
        };
        if let Err(error) = saved {
            tracing::warn!(aggregate_type, aggregate_id, sequence, %error, "storing a snapshot failed");
        }
    }
}

/// Whether events moving an aggregate from version `before` to `after` reach a multiple of its
/// [`SNAPSHOT_EVERY`](Aggregate::SNAPSHOT_EVERY).
fn crosses_snapshot(snapshot_every: Option<u64>, before: u64, after: u64) -> bool {
    snapshot_every.is_some_and(|every| before / every != after / every)
}

/// The pure decision: existence rules, then the aggregate's handler. Shared with the
/// given/when/then harness so tests see exactly what the dispatcher does.
pub(crate) fn decide<C>(
    state: &C::Aggregate,
    version: u64,
    command: &C,
) -> Result<Vec<<C::Aggregate as Aggregate>::Event>, DispatchError>
where
    C: Command,
    C::Aggregate: Handle<C>,
{
    let aggregate_type = C::Aggregate::TYPE;
    let aggregate_id = || command.aggregate_id().to_string();
    if C::CREATES && version > 0 {
        return Err(DispatchError::AlreadyExists {
            aggregate_type,
            aggregate_id: aggregate_id(),
        });
    }
    if !C::CREATES && version == 0 {
        return Err(DispatchError::NotFound {
            aggregate_type,
            aggregate_id: aggregate_id(),
        });
    }
    Ok(state.handle(command)?)
}

fn encode<A: Aggregate>(
    aggregate_id: &str,
    version: u64,
    events: &[A::Event],
    metadata: &Metadata,
) -> Result<Vec<NewEvent>, serde_json::Error> {
    let timestamp = Utc::now();
    (1..)
        .zip(events)
        .map(|(offset, event)| {
            Ok(NewEvent {
                event_id: Uuid::now_v7(),
                aggregate_type: A::TYPE.to_owned(),
                aggregate_id: aggregate_id.to_owned(),
                sequence: version + offset,
                event_type: event.event_type().to_owned(),
                event_version: event.event_version(),
                timestamp,
                metadata: metadata.clone(),
                payload: event.encode()?,
            })
        })
        .collect()
}

/// How long to wait before retrying after the `conflicts`th conflict in a row: random ("full
/// jitter") below a ceiling that starts at [`BACKOFF_FIRST`] and doubles up to [`BACKOFF_MAX`].
pub(crate) fn backoff(conflicts: u32) -> Duration {
    let doubled = BACKOFF_FIRST.saturating_mul(1 << conflicts.saturating_sub(1).min(31));
    let ceiling = doubled.min(BACKOFF_MAX).as_micros();
    // A v4 uuid is 122 random bits from the OS: enough randomness without another dependency.
    let random = Uuid::new_v4().as_u128() % ceiling;
    Duration::from_micros(u64::try_from(random).expect("below the ceiling"))
}

const BACKOFF_FIRST: Duration = Duration::from_millis(1);
const BACKOFF_MAX: Duration = Duration::from_millis(256);

#[cfg(test)]
mod tests {
    use super::{BACKOFF_FIRST, BACKOFF_MAX, backoff, crosses_snapshot};

    #[test]
    fn a_snapshot_is_due_when_a_command_reaches_a_multiple_however_many_events_it_records() {
        let every = Some(100);
        assert!(crosses_snapshot(every, 99, 100));
        assert!(
            crosses_snapshot(every, 98, 103),
            "past the multiple, in one command"
        );
        assert!(
            crosses_snapshot(every, 150, 420),
            "past several multiples at once"
        );
        assert!(!crosses_snapshot(every, 100, 199));
        assert!(!crosses_snapshot(every, 0, 99));
        assert!(crosses_snapshot(Some(1), 0, 1));
        assert!(!crosses_snapshot(None, 99, 100));
    }

    #[test]
    fn retries_wait_longer_after_each_conflict_in_a_row_up_to_a_limit() {
        for _ in 0..100 {
            assert!(backoff(1) < BACKOFF_FIRST);
            assert!(backoff(3) < 4 * BACKOFF_FIRST);
            assert!(backoff(1000) < BACKOFF_MAX);
        }
        let waits: std::collections::HashSet<_> = (0..20).map(|_| backoff(9)).collect();
        assert!(waits.len() > 1, "waits are random, so colliders spread out");
    }
}
