//! Command dispatch: load the aggregate, decide, commit with optimistic concurrency, notify.
//!
//! - [`Dispatcher`] (here): takes a command, queues it in its aggregate's mailbox, and runs
//!   the mailbox's worker;
//! - `batch`: a worker's batch decided in turn and committed in one append, retried on conflict;
//! - `decision`: a [`Decision`](crate::decision::Decision) over several aggregates, appended
//!   only while what it read stands; `claims`: the unique values a commit claims and releases;
//! - `load`: an aggregate's state from its snapshot and events, or its state row;
//! - `decide`: the pure decision, shared with the given/when/then harness;
//! - `mailbox`, `group_commit`, `inline`: the machinery those share;
//! - `outcome`: what a command did, or why it did not; `command_enum`: enums of commands;
//! - `sent`: commands sent with an id, answered from their record when sent again;
//!   `request_key`: the id and fingerprint of a client's keyed request; `keyed_decision`: a
//!   decision sent with one.

mod batch;
mod claims;
mod command_enum;
mod decide;
mod decision;
mod group_commit;
mod inline;
mod keyed_decision;
mod load;
mod mailbox;
mod outcome;
mod request_key;
mod sent;
mod wanted;

use std::sync::Arc;

use tracing::Instrument;

pub use command_enum::{AggregateCommands, Commands};
#[cfg(feature = "testing")]
pub(crate) use decide::decide;
#[cfg(feature = "testing")]
pub(crate) use decision::prepare;
pub use outcome::{Committed, Decided, DispatchError};
pub use request_key::RequestKey;

use crate::aggregate::Aggregate;
use crate::bus::EventBus;
use crate::clock::{Clock, SystemClock};
use crate::command::Command;
use crate::context::ServiceMap;
use crate::event::{Metadata, NewEvent};
use crate::store::{ConditionalAppend, EventStore, StoreError};
use crate::trace_context;
use group_commit::GroupCommit;
use mailbox::{Job, Mailbox, Mailboxes};
use tokio::sync::oneshot;

/// Runs commands against aggregates kept in an [`EventStore`].
///
/// Each command loads its aggregate, is decided by the aggregate's [`Handle`](crate::Handle) or
/// [`HandleWith`](crate::HandleWith) impl, and its events
/// are appended with the sequence numbers that follow what was loaded; a
/// [state-stored](crate::Persistence::StateStored) aggregate's new state row is written in the same
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
///   once its own events are committed, and a conflict in one leaves the others be. Decisions
///   over several aggregates are grouped the same way ([`EventStore::append_if_many`]).
/// - **Decisions take turns with commands.** A [`Decision`](crate::Decision) takes the turn of
///   each aggregate it reads (in one order, so two never wait for each other), decides on the
///   states the mailboxes keep, and leaves the new states there: in one process, decisions and
///   commands on one aggregate never conflict; across processes the append checks every
///   aggregate read ([`dispatch_decision`](Self::dispatch_decision)).
/// - **A quiet service pays no hand-offs.** A command finding its aggregate's mailbox idle runs
///   the worker in its own task until answered, and commits there when no other commit is
///   under way or waiting; under load, commands queue and share commits as above.
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
    group_commit: Arc<GroupCommit<Vec<NewEvent>>>,
    decision_commit: Arc<GroupCommit<ConditionalAppend>>,
    mailboxes: Arc<Mailboxes>,
    clock: Arc<dyn Clock>,
    services: Arc<ServiceMap>,
}

/// How many aggregates a dispatcher keeps in memory by default.
pub const DEFAULT_CACHED_AGGREGATES: usize = 10_000;

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}

impl Dispatcher {
    pub fn new(store: Arc<dyn EventStore>, bus: Arc<dyn EventBus>) -> Self {
        Self {
            group_commit: Arc::new(GroupCommit::appends(Arc::clone(&store))),
            decision_commit: Arc::new(GroupCommit::conditional_appends(Arc::clone(&store))),
            mailboxes: Arc::new(Mailboxes::new(DEFAULT_CACHED_AGGREGATES)),
            clock: Arc::new(SystemClock),
            services: Arc::default(),
            store,
            bus,
        }
    }

    /// Gives handlers `services`: every aggregate whose
    /// [`Services`](Aggregate::Services) are an `S` finds them in its
    /// [`Context`](crate::Context). A command whose [`HandleWith`](crate::HandleWith) handler
    /// needs services the dispatcher was not given fails with
    /// [`DispatchError::MissingServices`]; plain [`Handle`](crate::Handle) handlers need none.
    pub fn with_services<S: Send + Sync + 'static>(self, services: S) -> Self {
        self.with_shared_services(Arc::new(services))
    }

    /// [`with_services`](Self::with_services), for services the application also keeps.
    pub fn with_shared_services<S: Send + Sync + 'static>(mut self, services: Arc<S>) -> Self {
        Arc::make_mut(&mut self.services).insert(services);
        self
    }

    /// Reads the time from `clock` (by default the [`SystemClock`]): what handlers see as
    /// now, and the timestamp of every event recorded.
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The clock handlers and event timestamps read.
    pub fn clock(&self) -> &dyn Clock {
        &*self.clock
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
    {
        let result = self.decide_and_commit(command, metadata, None).await;
        metrics::counter!("eventwright_commands_total", "command" => C::NAME, "outcome" => outcome_label(&result))
            .increment(1);
        result
    }

    /// [`dispatch`](Self::dispatch), at most once in effect for each `command_id`: the id is
    /// recorded with the command's events, or with its refusal, and the same id sent again
    /// (after a crash, by another process) appends nothing and gets the first answer: the
    /// refusal, or a [`Committed`] with no events at the aggregate's version. What a workflow
    /// sends its commands with, each id derived from what caused it.
    ///
    /// A failure to answer (the store unreachable, a conflict past the retries) records
    /// nothing: sent again, the command is decided again. The aggregate is read from the store
    /// for it, never from the dispatcher's memory, so a refusal is never decided on a state
    /// another process has moved past.
    pub async fn dispatch_once<C>(
        &self,
        command_id: uuid::Uuid,
        command: C,
        metadata: Metadata,
    ) -> Result<Committed, DispatchError>
    where
        C: Command,
    {
        let result = self
            .decide_and_commit(command, metadata, Some((command_id, None)))
            .await;
        metrics::counter!("eventwright_commands_total", "command" => C::NAME, "outcome" => outcome_label(&result))
            .increment(1);
        result
    }

    /// [`dispatch_once`](Self::dispatch_once) for a client's request that carries a key of its
    /// own (an HTTP `Idempotency-Key`): sent again with the same key, the same request gets the
    /// first answer (the version and position it committed at, or its refusal) and appends
    /// nothing, across restarts; another request with that key is refused with
    /// [`DispatchError::IdReused`], deciding nothing.
    pub async fn dispatch_keyed<C>(
        &self,
        key: &RequestKey,
        command: C,
        metadata: Metadata,
    ) -> Result<Committed, DispatchError>
    where
        C: Command,
    {
        let sent = Some((key.command_id, Some(key.request.clone())));
        let result = self.decide_and_commit(command, metadata, sent).await;
        metrics::counter!("eventwright_commands_total", "command" => C::NAME, "outcome" => outcome_label(&result))
            .increment(1);
        result
    }

    async fn decide_and_commit<C>(
        &self,
        command: C,
        mut metadata: Metadata,
        sent: Option<(uuid::Uuid, Option<String>)>,
    ) -> Result<Committed, DispatchError>
    where
        C: Command,
    {
        command.validate().map_err(DispatchError::Invalid)?;
        if metadata.traceparent.is_none() {
            metadata.traceparent = trace_context::current();
        }
        let aggregate_id = command.aggregate_id().to_string();
        let (reply, answer) = oneshot::channel();
        let job = Job::<C::Aggregate> {
            command: Box::new(command),
            creates: C::CREATES,
            name: C::NAME,
            retries: C::RETRIES_ON_CONFLICT,
            command_id: sent.as_ref().map(|(id, _)| *id),
            request: sent.and_then(|(_, request)| request),
            metadata,
            span: tracing::Span::current(),
            reply,
        };
        let mailbox = self.mailboxes.of(C::Aggregate::TYPE, &aggregate_id);
        let answer = if mailbox.post(job) {
            let work = self.clone().work::<C::Aggregate>(mailbox, aggregate_id);
            inline::drive_until(Box::pin(work), answer).await
        } else {
            answer.await.ok()
        };
        answer.unwrap_or_else(|| {
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
        loop {
            // A decision over several aggregates that includes this one takes the same turn,
            // so the two never decide on the same state and conflict.
            let _turn = mailbox.turn.lock().await;
            let Some((jobs, known)) = mailbox.take::<A>() else {
                break;
            };
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
}

/// How a command or decision ended, as the `outcome` label of `eventwright_commands_total`.
fn outcome_label<T>(result: &Result<T, DispatchError>) -> &'static str {
    match result {
        Ok(_) => "accepted",
        Err(DispatchError::Invalid(_)) => "invalid",
        Err(
            DispatchError::Rejected(_)
            | DispatchError::NotFound { .. }
            | DispatchError::AlreadyExists { .. }
            | DispatchError::Taken { .. }
            | DispatchError::IdReused { .. },
        ) => "refused",
        Err(DispatchError::Conflict { .. }) => "conflict",
        Err(_) => "failed",
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
