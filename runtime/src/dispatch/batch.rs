//! A worker's batch: each command decided on the state the ones before it leave, all their
//! events committed in one append, and the whole decided again on fresh state after a conflict.
//! When their events change the aggregate's unique values, the append claims and releases them.

use super::claims::UniqueChanges;
use super::decide::encode;
use super::mailbox::Job;
use super::{Committed, DispatchError, Dispatcher};
use crate::aggregate::{Aggregate, Persistence};
use crate::backoff::backoff;
use crate::context::Surroundings;
use crate::event::{EventEnvelope, NewEvent};
use crate::store::{ConditionalAppend, NewState, SentCommand, StoreError, StreamVersion};
use crate::unique::UniqueValues;

impl Dispatcher {
    /// Decides `jobs` in turn, each on the state the ones before it leave, and commits all their
    /// events in one append; answers every job. Returns the state after the batch, when it is
    /// known.
    pub(super) async fn commit_batch<A: Aggregate>(
        &self,
        aggregate_id: &str,
        mut jobs: Vec<Job<A>>,
        known: Option<(A, u64)>,
    ) -> Option<(A, u64)> {
        // A command sent with an id is decided on the stored state: a refusal is recorded as
        // its answer for good, so it must not be decided on a state another process moved.
        let known = known.filter(|_| jobs.iter().all(|job| job.command_id.is_none()));
        let loaded = match known {
            Some(known) => Ok(known),
            // Commands that start an aggregate assume there is none yet: if there is one, its
            // first sequence is taken, and the conflict loads it.
            None if jobs.first().is_some_and(|job| job.creates)
                && jobs.iter().all(|job| job.command_id.is_none()) =>
            {
                Ok((A::default(), 0))
            }
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
            jobs = self.answer_sent::<A>(aggregate_id, jobs, version).await;
            if jobs.is_empty() {
                return Some((state, version));
            }
            let before = version;
            let held_before = held(&state);
            let mut held_now = held_before.clone();
            let mut accepted: Vec<Accepted<A>> = Vec::with_capacity(jobs.len());
            // Commands sent with an id that were refused on a state the batch has not
            // committed yet: decided again once it has, since their refusal is kept for good.
            let mut later: Vec<Job<A>> = Vec::new();
            for job in jobs.drain(..) {
                // A copy of a command accepted earlier in the batch (sent again while the first
                // still waited, as a restarted workflow does) is answered from the first's
                // record once that commits. Decided here as well, it would be applied twice, and
                // its record would collide with the first's in every retry of the batch.
                if job.command_id.is_some()
                    && accepted
                        .iter()
                        .any(|accepted| accepted.job.command_id == job.command_id)
                {
                    later.push(job);
                    continue;
                }
                let around = Surroundings::new(&self.services, &*self.clock, &job.metadata);
                let decided = match job.command.decide(&state, version, around) {
                    Ok(handled) => handled.await.map_err(DispatchError::from),
                    Err(refused) => Err(refused),
                };
                let decided = decided.and_then(|events| {
                    let new = encode::<A>(
                        aggregate_id,
                        version,
                        &events,
                        &job.metadata,
                        self.clock.now(),
                    )?;
                    Ok((events, new))
                });
                match decided {
                    Err(_) if job.command_id.is_some() && !accepted.is_empty() => {
                        later.push(job);
                    }
                    Err(refused) => {
                        let answer = self
                            .record_refusal::<A>(aggregate_id, &job, refused, version)
                            .await;
                        let _ = job.reply.send(answer);
                    }
                    Ok((events, _))
                        if events.is_empty()
                            && job.command_id.is_some()
                            && !accepted.is_empty() =>
                    {
                        later.push(job);
                    }
                    Ok((events, _)) if events.is_empty() => {
                        let answer = self
                            .record_unchanged::<A>(aggregate_id, &job, version)
                            .await;
                        let _ = job.reply.send(answer);
                    }
                    Ok((events, new)) => {
                        // The next command is decided on the state this one leads to.
                        for event in &events {
                            state.apply_event(event);
                        }
                        version += new.len() as u64;
                        let mut unique = UniqueChanges::default();
                        let held_after = held(&state);
                        if held_after != held_now {
                            unique.add(A::TYPE, aggregate_id, &held_now, &held_after);
                            held_now = held_after;
                        }
                        accepted.push(Accepted {
                            job,
                            new,
                            unique,
                            version,
                        });
                    }
                }
            }
            if accepted.is_empty() {
                return Some((state, version));
            }
            let events: Vec<NewEvent> = accepted
                .iter()
                .flat_map(|accepted| accepted.new.iter().cloned())
                .collect();
            let row = match A::PERSISTENCE {
                Persistence::EventSourced => None,
                Persistence::StateStored => match state.snapshot() {
                    Ok(row) => Some(row),
                    Err(error) => {
                        let error = DispatchError::Encode(error);
                        answer_all(
                            accepted.into_iter().map(|accepted| accepted.job).collect(),
                            &error,
                        );
                        answer_all(later, &error);
                        return None;
                    }
                },
            };
            let mut unique = UniqueChanges::default();
            unique.add(A::TYPE, aggregate_id, &held_before, &held_now);
            let commands: Vec<SentCommand> = accepted
                .iter()
                .filter_map(|accepted| {
                    Some(SentCommand {
                        command_id: accepted.job.command_id?,
                        aggregate_type: A::TYPE.to_owned(),
                        aggregate_id: aggregate_id.to_owned(),
                        refusal: None,
                        version: Some(accepted.version),
                        position: None,
                        request: accepted.job.request.clone(),
                    })
                })
                .collect();
            let committed = if !unique.is_empty() || !commands.is_empty() {
                // Unique values change, or commands sent with an id are recorded: in the
                // events' transaction.
                self.store
                    .append_if(ConditionalAppend {
                        read: vec![StreamVersion {
                            aggregate_type: A::TYPE.to_owned(),
                            aggregate_id: aggregate_id.to_owned(),
                            version: before,
                        }],
                        queries: Vec::new(),
                        events,
                        states: row
                            .map(|state| NewState {
                                aggregate_type: A::TYPE.to_owned(),
                                aggregate_id: aggregate_id.to_owned(),
                                state,
                            })
                            .into_iter()
                            .collect(),
                        releases: unique.releases,
                        claims: unique.claims,
                        commands,
                    })
                    .await
            } else if let Some(row) = row {
                self.store.commit_state(before, row, events).await
            } else {
                self.group_commit.append(events).await
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
                    for Accepted { job, new, .. } in accepted {
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
                    if later.is_empty() {
                        return Some((state, version));
                    }
                    // The state they were refused on is committed now: decided again on it.
                    jobs = later;
                    continue;
                }
                Err(StoreError::Conflict { .. }) => {
                    conflicts += 1;
                    for Accepted { job, .. } in accepted {
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
                    jobs.append(&mut later);
                    tracing::debug!(aggregate_type = A::TYPE, %aggregate_id, conflicts, "conflict; deciding again on fresh state");
                    if jobs.is_empty() {
                        return None;
                    }
                    tokio::time::sleep(backoff(conflicts)).await;
                }
                Err(error @ StoreError::Taken { .. }) => {
                    // The command that claimed the value is refused; the others in its batch
                    // are decided again without it.
                    let taken = DispatchError::from_store(error);
                    let mut refused = false;
                    for Accepted { job, unique, .. } in accepted {
                        let claimed = match &taken {
                            DispatchError::Taken { scope, value, .. } => {
                                unique.claims(scope, value)
                            }
                            _ => false,
                        };
                        if claimed && !refused {
                            refused = true;
                            let answer = self
                                .record_refusal::<A>(aggregate_id, &job, taken.duplicate(), before)
                                .await;
                            let _ = job.reply.send(answer);
                        } else {
                            jobs.push(job);
                        }
                    }
                    jobs.append(&mut later);
                    if !refused {
                        answer_all(std::mem::take(&mut jobs), &taken);
                    }
                    if jobs.is_empty() {
                        return None;
                    }
                }
                Err(error) => {
                    let error = DispatchError::Store(error);
                    answer_all(
                        accepted.into_iter().map(|accepted| accepted.job).collect(),
                        &error,
                    );
                    answer_all(later, &error);
                    return None;
                }
            }
            // What this batch decided on is stale (another process wrote), or half applied.
            match self.load::<A>(aggregate_id).await {
                Ok(loaded) => (state, version) = loaded,
                Err(error) => {
                    answer_all(jobs, &error);
                    return None;
                }
            }
        }
    }
}

impl Dispatcher {
    /// Answers each job whose id is recorded the way it was answered the first time; returns
    /// the others.
    async fn answer_sent<A: Aggregate>(
        &self,
        aggregate_id: &str,
        jobs: Vec<Job<A>>,
        version: u64,
    ) -> Vec<Job<A>> {
        let mut left = Vec::with_capacity(jobs.len());
        for job in jobs {
            let Some(command_id) = job.command_id else {
                left.push(job);
                continue;
            };
            match self.store.sent_command(command_id).await {
                Ok(None) => left.push(job),
                Ok(Some(sent)) => {
                    tracing::debug!(aggregate_type = A::TYPE, %aggregate_id, %command_id, "a command sent again: answered as before");
                    let answer =
                        super::sent::answer(sent, A::TYPE, version, job.request.as_deref());
                    let _ = job.reply.send(answer);
                }
                Err(error) => {
                    let _ = job.reply.send(Err(DispatchError::Store(error)));
                }
            }
        }
        left
    }

    /// A job's answer when it changes nothing. Sent with an id, that is recorded too, as a
    /// refusal is: sent again once the state has moved on, it must not append then.
    async fn record_unchanged<A: Aggregate>(
        &self,
        aggregate_id: &str,
        job: &Job<A>,
        version: u64,
    ) -> Result<Committed, DispatchError> {
        let Some(command_id) = job.command_id else {
            return Ok(Committed {
                aggregate_type: A::TYPE,
                aggregate_id: aggregate_id.to_owned(),
                version,
                position: None,
                events: Vec::new(),
            });
        };
        let unchanged = SentCommand {
            command_id,
            aggregate_type: A::TYPE.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            refusal: None,
            version: Some(version),
            position: None,
            request: job.request.clone(),
        };
        super::sent::record_and_answer(&*self.store, unchanged, A::TYPE, version).await
    }

    /// A job's answer when it is refused. Sent with an id, the refusal is recorded first and
    /// the answer is what the record says ([`record_and_answer`](super::sent::record_and_answer)).
    async fn record_refusal<A: Aggregate>(
        &self,
        aggregate_id: &str,
        job: &Job<A>,
        refused: DispatchError,
        version: u64,
    ) -> Result<Committed, DispatchError> {
        let Some(command_id) = job.command_id else {
            return Err(refused);
        };
        let Some(mut record) = super::sent::refusal(command_id, A::TYPE, aggregate_id, &refused)
        else {
            return Err(refused);
        };
        record.request.clone_from(&job.request);
        super::sent::record_and_answer(&*self.store, record, A::TYPE, version).await
    }
}

/// A command decided in a batch, waiting for the batch's commit.
struct Accepted<A: Aggregate> {
    job: Job<A>,
    new: Vec<NewEvent>,
    /// What its events claimed and released, to know whose claim was refused.
    unique: UniqueChanges,
    /// The aggregate's version after it.
    version: u64,
}

/// The unique values a state holds.
fn held<A: Aggregate>(state: &A) -> UniqueValues {
    let mut values = UniqueValues::default();
    state.unique_values(&mut values);
    values
}

/// Answers every job with `error`.
fn answer_all<A: Aggregate>(jobs: Vec<Job<A>>, error: &DispatchError) {
    for job in jobs {
        let _ = job.reply.send(Err(error.duplicate()));
    }
}

/// Whether events moving an aggregate from version `before` to `after` reach a multiple of its
/// [`SNAPSHOT_EVERY`](Aggregate::SNAPSHOT_EVERY).
pub(super) fn crosses_snapshot(snapshot_every: Option<u64>, before: u64, after: u64) -> bool {
    snapshot_every.is_some_and(|every| before / every != after / every)
}

#[cfg(test)]
mod tests {
    use super::crosses_snapshot;

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
}
