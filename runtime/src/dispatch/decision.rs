//! A decision over several aggregates: read each, decide, append only if none of them changed
//! since, and on a conflict read and decide again.

use std::sync::Arc;

use tokio::sync::oneshot;
use tracing::Instrument;
use uuid::Uuid;

use super::batch::crosses_snapshot;
use super::claims::UniqueChanges;
use super::mailbox::Mailbox;
use super::wanted::{TAG_TURN, Wanted};
use super::{Decided, DispatchError, Dispatcher};
use crate::aggregate::Persistence;
use crate::backoff::backoff;
use crate::decision::{Changes, Decide, Loaded, Read};
use crate::event::{Metadata, NewEvent};
use crate::store::{ConditionalAppend, NewState, SentCommand, StoreError, StreamVersion};
use crate::trace_context;

impl Dispatcher {
    /// Validates `decision`, reads every aggregate it names, decides, and appends its events
    /// only if none of those aggregates changed since they were read; otherwise reads and
    /// decides again, up to [`Decision::RETRIES_ON_CONFLICT`](crate::Decision::RETRIES_ON_CONFLICT) times, after the same random
    /// pause as a command's conflict. Unique values that the events change are claimed and
    /// released in the same step ([`DispatchError::Taken`] when another aggregate holds one).
    ///
    /// Counted in `eventwright_commands_total{command, outcome}` under the decision's
    /// [`NAME`](crate::Decision::NAME), like a command.
    pub async fn dispatch_decision<D: Decide>(
        &self,
        decision: D,
        mut metadata: Metadata,
    ) -> Result<Decided, DispatchError> {
        if metadata.traceparent.is_none() {
            metadata.traceparent = trace_context::current();
        }
        run_decision(
            decision,
            move |dispatcher, decision| async move {
                dispatcher
                    .decide_and_append(&decision, &metadata, None)
                    .await
            },
            self.clone(),
        )
        .await
    }

    /// Decides and appends; with `record`, also records the decision as a command sent with an
    /// id, at its aggregate's version after the decision, in the append's transaction.
    pub(super) async fn decide_and_append<D: Decide>(
        &self,
        decision: &D,
        metadata: &Metadata,
        record: Option<&SentCommand>,
    ) -> Result<Decided, DispatchError> {
        let mut wanted = Wanted::default();
        decision.reads(&mut wanted);
        let mailboxes: Vec<Arc<Mailbox>> = wanted
            .aggregates
            .iter()
            .map(|want| self.mailboxes.of(want.aggregate_type, &want.aggregate_id))
            .collect();
        // Decisions and commands in this process that share an aggregate take turns, and so do
        // decisions that share a tag of a fact they read; each turn taken in one order so that
        // two decisions never wait for each other. Only writers in other processes (and
        // commands appending tagged events) can still conflict.
        let mut turns: Vec<(&str, &str, &Arc<Mailbox>)> = wanted
            .aggregates
            .iter()
            .zip(&mailboxes)
            .map(|(want, mailbox)| (want.aggregate_type, want.aggregate_id.as_str(), mailbox))
            .collect();
        let tag_mailboxes: Vec<(String, Arc<Mailbox>)> = wanted
            .fact_tags()
            .into_iter()
            .map(|tag| (tag.to_owned(), self.mailboxes.of(TAG_TURN, tag)))
            .collect();
        turns.extend(
            tag_mailboxes
                .iter()
                .map(|(tag, mailbox)| (TAG_TURN, tag.as_str(), mailbox)),
        );
        turns.sort_unstable_by_key(|&(kind, id, _)| (kind, id));
        let mut held = Vec::with_capacity(turns.len());
        for (_, _, mailbox) in turns {
            held.push(mailbox.turn.lock().await);
        }
        // The states the mailboxes keep, checked by the append like a command's; after a
        // conflict they are stale, and every aggregate is read from the store. Facts are read
        // from the store every time.
        // A decision recorded by id is decided on what the store holds, never on this
        // process's memory: its refusal is kept for good.
        let mut cached = record.is_none();
        let mut conflicts = 0;
        loop {
            let mut loaded = Vec::with_capacity(wanted.aggregates.len());
            for (want, mailbox) in wanted.aggregates.iter().zip(&mailboxes) {
                let known = cached
                    .then(|| mailbox.take_erased())
                    .flatten()
                    .filter(|(state, _)| (want.ops.holds)(&**state));
                loaded.push(match known {
                    Some((state, version)) => Loaded {
                        aggregate_type: want.aggregate_type,
                        aggregate_id: want.aggregate_id.clone(),
                        version,
                        state,
                        ops: want.ops,
                    },
                    None => (want.load)(self, &want.aggregate_id).await?,
                });
            }
            let mut facts = Vec::with_capacity(wanted.facts.len());
            for fact in std::mem::take(&mut wanted.facts) {
                facts.push((fact.load)(self, fact.state).await?);
            }
            let read = Read::new(
                D::NAME,
                loaded,
                facts,
                Arc::clone(&self.clock),
                Arc::clone(&self.services),
            );
            let mut changes = Changes::default();
            let decided = decision.decide(&read, &mut changes);
            if decided.is_err() || changes.is_empty() {
                let streams = read.streams();
                keep(read.into_loaded(), &mailboxes);
                decided?;
                return Ok(Decided {
                    read: streams,
                    events: Vec::new(),
                });
            }
            let (mut append, loaded) = prepare(D::NAME, read, &changes, metadata)?;
            if let Some(record) = record {
                append.commands.push(recorded_at_version(record, &append));
            }
            let read_versions = append.read.clone();
            match self.decision_commit.append(append).await {
                Ok(events) => {
                    if let Err(error) = self.bus.publish(&events).await {
                        tracing::warn!(%error, "publishing committed events failed");
                    }
                    self.save_snapshots(&read_versions, &loaded).await;
                    keep(loaded, &mailboxes);
                    return Ok(Decided {
                        read: read_versions,
                        events,
                    });
                }
                Err(StoreError::Conflict { .. }) if conflicts < D::RETRIES_ON_CONFLICT => {
                    conflicts += 1;
                    cached = false;
                    // Fresh facts, before any event, to fold again.
                    let mut again = Wanted::default();
                    decision.reads(&mut again);
                    wanted.facts = again.facts;
                    metrics::counter!("eventwright_command_conflicts_total", "command" => D::NAME)
                        .increment(1);
                    tracing::debug!(
                        decision = D::NAME,
                        conflicts,
                        "conflict; reading and deciding again"
                    );
                    tokio::time::sleep(backoff(conflicts)).await;
                }
                Err(StoreError::Conflict {
                    aggregate_type,
                    aggregate_id,
                    ..
                }) => {
                    // The store names the stream as text; the error names its static type.
                    let aggregate_type = wanted
                        .aggregates
                        .iter()
                        .find(|want| want.aggregate_type == aggregate_type)
                        .map_or(D::NAME, |want| want.aggregate_type);
                    return Err(DispatchError::Conflict {
                        aggregate_type,
                        aggregate_id,
                    });
                }
                Err(error) => return Err(DispatchError::from_store(error)),
            }
        }
    }

    /// Stores a snapshot of each aggregate whose events a decision just committed reach a
    /// multiple of its `SNAPSHOT_EVERY`.
    async fn save_snapshots(&self, read: &[StreamVersion], loaded: &[Loaded]) {
        for (before, after) in read.iter().zip(loaded) {
            if after.ops.persistence == Persistence::EventSourced
                && crosses_snapshot(after.ops.snapshot_every, before.version, after.version)
                && let Some(taken) = (after.ops.snapshot)(&*after.state)
            {
                self.store_snapshot(
                    after.aggregate_type,
                    &after.aggregate_id,
                    after.version,
                    taken,
                )
                .await;
            }
        }
    }
}

/// Validates `decision`, then runs `decide` on it as a command's worker is run: in the caller's
/// task until it answers, going on in a task of its own if the caller stops waiting, so it is
/// never stopped half way, holding turns released before its commit. Counted in
/// `eventwright_commands_total` under the decision's name.
pub(super) async fn run_decision<D, T, F, Fut>(
    decision: D,
    decide: F,
    dispatcher: Dispatcher,
) -> Result<T, DispatchError>
where
    D: Decide,
    T: Send + 'static,
    F: FnOnce(Dispatcher, D) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, DispatchError>> + Send + 'static,
{
    let result = match decision.validate() {
        Ok(()) => {
            let (reply, answer) = oneshot::channel();
            let work = async move {
                // A caller that stopped waiting has nobody to tell.
                let _ = reply.send(decide(dispatcher, decision).await);
            };
            let work = Box::pin(work.instrument(tracing::Span::current()));
            super::inline::drive_until(work, answer)
                .await
                .unwrap_or_else(|| {
                    Err(DispatchError::Store(StoreError::Unavailable(
                        "the decision's task stopped before answering; see the log".to_owned(),
                    )))
                })
        }
        Err(errors) => Err(DispatchError::Invalid(errors)),
    };
    metrics::counter!("eventwright_commands_total", "command" => D::NAME, "outcome" => super::outcome_label(&result))
        .increment(1);
    result
}

/// `record` at its aggregate's version after `append`: its last event's sequence there, or
/// the version read when the append leaves it alone.
fn recorded_at_version(record: &SentCommand, append: &ConditionalAppend) -> SentCommand {
    let is_it = |aggregate_type: &str, aggregate_id: &str| {
        aggregate_type == record.aggregate_type && aggregate_id == record.aggregate_id
    };
    let version = append
        .events
        .iter()
        .rev()
        .find(|event| is_it(&event.aggregate_type, &event.aggregate_id))
        .map(|event| event.sequence)
        .unwrap_or_else(|| append.read_version(&record.aggregate_type, &record.aggregate_id));
    SentCommand {
        version: Some(version),
        ..record.clone()
    }
}

/// Leaves each state with its aggregate's mailbox, for the next command or decision.
fn keep(loaded: Vec<Loaded>, mailboxes: &[Arc<Mailbox>]) {
    for (loaded, mailbox) in loaded.into_iter().zip(mailboxes) {
        mailbox.keep_erased(loaded.state, loaded.version);
    }
}

/// The append a decision's changes make: each event continuing its aggregate's sequence, the
/// new state rows, the unique values claimed and released; and the states it leads to.
pub(crate) fn prepare(
    decision: &'static str,
    read: Read,
    changes: &Changes,
    metadata: &Metadata,
) -> Result<(ConditionalAppend, Vec<Loaded>), DispatchError> {
    let streams = read.streams();
    let queries = read.queries();
    let timestamp = read.now();
    let mut loaded = read.into_loaded();
    // The unique values each aggregate held before its first event, once it has one.
    let mut held_before = vec![None; loaded.len()];
    let mut events = Vec::new();
    for emitted in changes.emitted() {
        let undeclared = || DispatchError::Undeclared {
            decision,
            aggregate_type: emitted.aggregate_type,
            aggregate_id: emitted.aggregate_id.clone(),
        };
        let index = loaded
            .iter()
            .position(|loaded| {
                loaded.aggregate_type == emitted.aggregate_type
                    && loaded.aggregate_id == emitted.aggregate_id
            })
            .ok_or_else(undeclared)?;
        let target = &mut loaded[index];
        held_before[index].get_or_insert_with(|| (target.ops.unique_values)(&*target.state));
        let encoded = (target.ops.encode)(&*emitted.event).ok_or_else(undeclared)??;
        if !(target.ops.apply)(&mut *target.state, &*emitted.event) {
            return Err(undeclared());
        }
        target.version += 1;
        events.push(NewEvent {
            event_id: Uuid::now_v7(),
            aggregate_type: target.aggregate_type.to_owned(),
            aggregate_id: target.aggregate_id.clone(),
            sequence: target.version,
            event_type: encoded.event_type.to_owned(),
            event_version: encoded.event_version,
            timestamp,
            metadata: metadata.clone(),
            payload: encoded.payload,
            tags: encoded.tags,
        });
    }
    let mut unique = UniqueChanges::default();
    let mut states = Vec::new();
    for (target, before) in loaded.iter().zip(&held_before) {
        let Some(before) = before else { continue };
        let after = (target.ops.unique_values)(&*target.state);
        unique.add(target.aggregate_type, &target.aggregate_id, before, &after);
        if target.ops.persistence == Persistence::StateStored {
            let state = (target.ops.snapshot)(&*target.state).ok_or_else(|| {
                DispatchError::Undeclared {
                    decision,
                    aggregate_type: target.aggregate_type,
                    aggregate_id: target.aggregate_id.clone(),
                }
            })??;
            states.push(NewState {
                aggregate_type: target.aggregate_type.to_owned(),
                aggregate_id: target.aggregate_id.clone(),
                state,
            });
        }
    }
    let append = ConditionalAppend {
        read: streams,
        queries,
        events,
        states,
        releases: unique.releases,
        claims: unique.claims,
        commands: Vec::new(),
    };
    Ok((append, loaded))
}
