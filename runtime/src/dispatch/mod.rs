//! Command dispatch: load the aggregate, decide, commit with optimistic concurrency, notify.

mod group_commit;
mod mailbox;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tracing::Instrument;
use uuid::Uuid;

use crate::aggregate::{Aggregate, Persistence};
use crate::bus::EventBus;
use crate::command::{Command, Handle, Rejection, ValidationErrors};
use crate::consistency::ConsistencyToken;
use crate::event::{DecodeError, Event, EventEnvelope, Metadata, NewEvent};
use crate::store::{EventStore, Snapshot, StoreError};
use crate::trace_context;
use group_commit::GroupCommit;
use mailbox::{Job, Mailbox, Mailboxes};
use tokio::sync::oneshot;

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
/// # In one process
///
/// - **Commands to one aggregate take turns, and share commits.** They queue in the aggregate's
///   mailbox; one worker at a time takes every command waiting, decides each on the state the
///   ones before it leave, and commits all their events in one append. Commands to a hot
///   aggregate so commit together instead of racing for the next sequence; conflicts are left
///   for writers in other processes.
/// - **Aggregates stay in memory.** The state a worker leaves is kept (about
///   [`DEFAULT_CACHED_AGGREGATES`] aggregates, the ones used last), and the next command starts
///   there instead of reading the store. If another process wrote meanwhile, the append
///   conflicts and the aggregate is read again, as above: the cache is checked by every commit,
///   never trusted.
/// - **Commits are grouped across aggregates.** Appends arriving at the same moment share one
///   transaction and one flush to disk ([`EventStore::append_many`]); each command is answered
///   once its own events are committed, and a conflict in one leaves the others be.
/// - **Starting an aggregate reads nothing.** A [creating](Command::CREATES) command assumes the
///   aggregate is new; if it exists, the conflict on its first sequence says so.
/// - **A caller that stops waiting does not stop its command**, which completes or fails on its
///   own; a handler that panics fails its command (and those committed with it) with
///   [`DispatchError::Store`], and the aggregate goes on with the next.
///
/// # Snapshots
///
/// For an aggregate with [`SNAPSHOT_EVERY`](Aggregate::SNAPSHOT_EVERY) set, loading starts from
/// the store's newest snapshot and applies only the events after it, so a command costs the same
/// on the aggregate's ten-thousandth event as on its tenth. A command (or the commands committed
/// together with it) whose events reach a multiple of `SNAPSHOT_EVERY` then stores a snapshot of
/// the state they lead to. Snapshots never
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
    group_commit: Arc<GroupCommit>,
    mailboxes: Arc<Mailboxes>,
}

/// How many aggregates a dispatcher keeps in memory by default.
pub const DEFAULT_CACHED_AGGREGATES: usize = 10_000;

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

impl DispatchError {
    /// The same error again, for each of several commands that one failure answers.
    fn duplicate(&self) -> Self {
        match self {
            Self::Invalid(errors) => Self::Invalid(errors.clone()),
            Self::Rejected(rejection) => Self::Rejected(rejection.clone()),
            Self::NotFound {
                aggregate_type,
                aggregate_id,
            } => Self::NotFound {
                aggregate_type,
                aggregate_id: aggregate_id.clone(),
            },
            Self::AlreadyExists {
                aggregate_type,
                aggregate_id,
            } => Self::AlreadyExists {
                aggregate_type,
                aggregate_id: aggregate_id.clone(),
            },
            Self::Conflict {
                aggregate_type,
                aggregate_id,
            } => Self::Conflict {
                aggregate_type,
                aggregate_id: aggregate_id.clone(),
            },
            Self::Decode(error) => Self::Decode(DecodeError::new(
                &error.event_type,
                error.event_version,
                &error.reason,
            )),
            Self::Encode(error) => Self::Encode(serde::ser::Error::custom(error)),
            Self::Store(error) => Self::Store(error.duplicate()),
        }
    }
}

impl Dispatcher {
    pub fn new(store: Arc<dyn EventStore>, bus: Arc<dyn EventBus>) -> Self {
        Self {
            group_commit: Arc::new(GroupCommit::new(Arc::clone(&store))),
            mailboxes: Arc::new(Mailboxes::new(DEFAULT_CACHED_AGGREGATES)),
            store,
            bus,
        }
    }

    /// Keeps about `capacity` aggregates in memory between commands (by default
    /// [`DEFAULT_CACHED_AGGREGATES`]): the ones used last.
    pub fn with_cached_aggregates(mut self, capacity: usize) -> Self {
        self.mailboxes = Arc::new(Mailboxes::new(capacity));
        self
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
        mut metadata: Metadata,
    ) -> Result<Committed, DispatchError>
    where
        C: Command,
        C::Aggregate: Handle<C>,
    {
        command.validate().map_err(DispatchError::Invalid)?;
        if metadata.traceparent.is_none() {
            metadata.traceparent = trace_context::current();
        }
        let aggregate_id = command.aggregate_id().to_string();
        let (reply, answer) = oneshot::channel();
        let job = Job::<C::Aggregate> {
            decide: Box::new(move |state, version| decide(state, version, &command)),
            creates: C::CREATES,
            name: C::NAME,
            retries: C::RETRIES_ON_CONFLICT,
            metadata,
            span: tracing::Span::current(),
            reply,
        };
        let mailbox = self.mailboxes.of(C::Aggregate::TYPE, &aggregate_id);
        if mailbox.post(job) {
            tokio::spawn(self.clone().work::<C::Aggregate>(mailbox, aggregate_id));
        }
        // The worker runs on its own: a caller that stops waiting does not stop the commit.
        answer.await.unwrap_or_else(|_| {
            Err(DispatchError::Store(StoreError::Unavailable(
                "the command's worker stopped before answering; see the log".to_owned(),
            )))
        })
    }

    /// Empties one aggregate's mailbox, batch after batch.
    async fn work<A: Aggregate>(self, mailbox: Arc<Mailbox>, aggregate_id: String) {
        let mut guard = Working::<A> {
            dispatcher: Some(self),
            mailbox: Arc::clone(&mailbox),
            aggregate_id,
            marker: std::marker::PhantomData,
        };
        let dispatcher = guard.dispatcher.clone().expect("set above");
        while let Some((jobs, known)) = mailbox.take::<A>() {
            let span = batch_span::<A>(&guard.aggregate_id, &jobs);
            if let Some((state, version)) = dispatcher
                .commit_batch(&guard.aggregate_id, jobs, known)
                .instrument(span)
                .await
            {
                mailbox.keep(state, version);
            }
        }
        guard.dispatcher = None;
    }

    /// Decides `jobs` in turn, each on the state the ones before it leave, and commits all their
    /// events in one append; answers every job. Returns the state after the batch, when it is
    /// known.
    async fn commit_batch<A: Aggregate>(
        &self,
        aggregate_id: &str,
        mut jobs: Vec<Job<A>>,
        known: Option<(A, u64)>,
    ) -> Option<(A, u64)> {
        let loaded = match known {
            Some(known) => Ok(known),
            // Commands that start an aggregate assume there is none yet: if there is one, its
            // first sequence is taken, and the conflict loads it.
            None if jobs.first().is_some_and(|job| job.creates) => Ok((A::default(), 0)),
            None => self.load::<A>(aggregate_id).await,
        };
        let (mut state, mut version) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                answer_all(jobs, &error);
                return None;
            }
        };
        let mut conflicts = 0;
        loop {
            let before = version;
            let mut accepted: Vec<(Job<A>, Vec<NewEvent>)> = Vec::with_capacity(jobs.len());
            for job in jobs.drain(..) {
                let decided = (job.decide)(&state, version).and_then(|events| {
                    let new = encode::<A>(aggregate_id, version, &events, &job.metadata)?;
                    Ok((events, new))
                });
                match decided {
                    Err(refused) => {
                        let _ = job.reply.send(Err(refused));
                    }
                    Ok((events, _)) if events.is_empty() => {
                        let _ = job.reply.send(Ok(Committed {
                            aggregate_type: A::TYPE,
                            aggregate_id: aggregate_id.to_owned(),
                            version,
                            position: None,
                            events: Vec::new(),
                        }));
                    }
                    Ok((events, new)) => {
                        // The next command is decided on the state this one leads to.
                        for event in &events {
                            state.apply_event(event);
                        }
                        version += new.len() as u64;
                        accepted.push((job, new));
                    }
                }
            }
            if accepted.is_empty() {
                return Some((state, version));
            }
            let events: Vec<NewEvent> = accepted
                .iter()
                .flat_map(|(_, new)| new.iter().cloned())
                .collect();
            let committed = match A::PERSISTENCE {
                Persistence::EventSourced => self.group_commit.append(events).await,
                Persistence::StateStored => match state.snapshot() {
                    Ok(row) => self.store.commit_state(before, row, events).await,
                    Err(error) => {
                        answer_all(
                            accepted.into_iter().map(|(job, _)| job).collect(),
                            &DispatchError::Encode(error),
                        );
                        return None;
                    }
                },
            };
            match committed {
                Ok(stored) => {
                    if let Err(error) = self.bus.publish(&stored).await {
                        // The events are committed; subscribers read them from the log anyway.
                        tracing::warn!(%error, "publishing committed events failed");
                    }
                    // A state-stored aggregate's row is its snapshot, already written.
                    if A::PERSISTENCE == Persistence::EventSourced
                        && crosses_snapshot(A::SNAPSHOT_EVERY, before, version)
                    {
                        self.save_snapshot(aggregate_id, &state, version).await;
                    }
                    let mut stored = stored.into_iter();
                    for (job, new) in accepted {
                        let mine: Vec<EventEnvelope> = stored.by_ref().take(new.len()).collect();
                        let last = mine.last().expect("a job with events");
                        let _ = job.reply.send(Ok(Committed {
                            aggregate_type: A::TYPE,
                            aggregate_id: aggregate_id.to_owned(),
                            version: last.sequence,
                            position: Some(last.position),
                            events: mine,
                        }));
                    }
                    return Some((state, version));
                }
                Err(StoreError::Conflict { .. }) => {
                    conflicts += 1;
                    for (job, _) in accepted {
                        metrics::counter!("eventwright_command_conflicts_total", "command" => job.name)
                            .increment(1);
                        if conflicts > job.retries {
                            let _ = job.reply.send(Err(DispatchError::Conflict {
                                aggregate_type: A::TYPE,
                                aggregate_id: aggregate_id.to_owned(),
                            }));
                        } else {
                            jobs.push(job);
                        }
                    }
                    tracing::debug!(aggregate_type = A::TYPE, %aggregate_id, conflicts, "conflict; deciding again on fresh state");
                    if jobs.is_empty() {
                        return None;
                    }
                    tokio::time::sleep(backoff(conflicts)).await;
                    // Another process wrote: what this one had decided on is stale.
                    match self.load::<A>(aggregate_id).await {
                        Ok(loaded) => (state, version) = loaded,
                        Err(error) => {
                            answer_all(jobs, &error);
                            return None;
                        }
                    }
                }
                Err(error) => {
                    let error = DispatchError::Store(error);
                    answer_all(accepted.into_iter().map(|(job, _)| job).collect(), &error);
                    return None;
                }
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

/// The span a batch is decided and committed in. The worker runs apart from the requests that
/// sent its commands, so the span is made a child of the first command's (its log lines carry
/// that request's correlation id) and follows from the others'.
fn batch_span<A: Aggregate>(aggregate_id: &str, jobs: &[Job<A>]) -> tracing::Span {
    let first = jobs.first().map(|job| &job.span);
    let span = tracing::info_span!(
        parent: first.and_then(tracing::Span::id),
        "commit",
        aggregate_type = A::TYPE,
        aggregate_id,
        commands = jobs.len(),
    );
    for job in jobs.iter().skip(1) {
        span.follows_from(&job.span);
    }
    span
}

/// Answers every job with `error`.
fn answer_all<A: Aggregate>(jobs: Vec<Job<A>>, error: &DispatchError) {
    for job in jobs {
        let _ = job.reply.send(Err(error.duplicate()));
    }
}

/// A worker at work. If it stops half way (a handler panicked, or its runtime ended), the
/// mailbox forgets the state it may have left half changed, and a new worker takes the commands
/// still waiting.
struct Working<A: Aggregate> {
    /// `None` once the worker finished normally.
    dispatcher: Option<Dispatcher>,
    mailbox: Arc<Mailbox>,
    aggregate_id: String,
    marker: std::marker::PhantomData<fn() -> A>,
}

impl<A: Aggregate> Drop for Working<A> {
    fn drop(&mut self) {
        let Some(dispatcher) = self.dispatcher.take() else {
            return;
        };
        tracing::error!(aggregate_type = A::TYPE, aggregate_id = %self.aggregate_id, "a command worker stopped half way");
        if self.mailbox.abandon()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let mailbox = Arc::clone(&self.mailbox);
            let aggregate_id = std::mem::take(&mut self.aggregate_id);
            runtime.spawn(dispatcher.work::<A>(mailbox, aggregate_id));
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
