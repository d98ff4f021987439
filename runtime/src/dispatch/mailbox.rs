//! One aggregate's commands in this process: queued in its mailbox, decided in turn, and
//! committed together.
//!
//! A command posts itself to its aggregate's mailbox. One worker at a time empties a mailbox: it
//! takes every command waiting, decides each on the state the ones before it leave, commits all
//! their events in one append, and answers each command with its own events. Commands to a hot
//! aggregate therefore share commits instead of racing for the next sequence. The state the
//! worker leaves stays in the mailbox for the next command (the aggregate cache); it is checked
//! by every commit, since an append at a taken sequence is a conflict.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

use super::decide::Queued;
use super::{Committed, DispatchError};
use crate::aggregate::Aggregate;
use crate::event::Metadata;

/// What a worker takes from a mailbox: the commands waiting, and the state left for them.
pub(crate) type Batch<A> = (Vec<Job<A>>, Option<(A, u64)>);

/// A command waiting in a mailbox.
pub(crate) struct Job<A: Aggregate> {
    pub(crate) command: Box<dyn Queued<A>>,
    /// Whether it starts the aggregate ([`Command::CREATES`](crate::Command::CREATES)).
    pub(crate) creates: bool,
    pub(crate) name: &'static str,
    pub(crate) retries: u32,
    /// The id it was sent with, to be applied at most once ([`Dispatcher::dispatch_once`]).
    ///
    /// [`Dispatcher::dispatch_once`]: crate::Dispatcher::dispatch_once
    pub(crate) command_id: Option<uuid::Uuid>,
    /// The fingerprint of the request it came in, when sent with an id by a client
    /// ([`Dispatcher::dispatch_keyed`]): the id on another request is refused.
    ///
    /// [`Dispatcher::dispatch_keyed`]: crate::Dispatcher::dispatch_keyed
    pub(crate) request: Option<String>,
    pub(crate) metadata: Metadata,
    /// The span the command was sent in: the worker's log lines and spans for it belong there.
    pub(crate) span: tracing::Span,
    pub(crate) reply: oneshot::Sender<Result<Committed, DispatchError>>,
}

#[derive(Default)]
struct Inner {
    waiting: Vec<Box<dyn Any + Send>>,
    working: bool,
    /// The state and version the last worker left, when it knows them.
    known: Option<(Box<dyn Any + Send + Sync>, u64)>,
}

#[derive(Default)]
pub(crate) struct Mailbox {
    inner: Mutex<Inner>,
    /// Held by the worker for each batch, and by a decision over several aggregates from its
    /// read to its commit: commands and decisions in this process that share an aggregate take
    /// turns instead of conflicting.
    pub(crate) turn: tokio::sync::Mutex<()>,
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues `job`; `true` when no worker is emptying the mailbox, so the caller starts one.
    pub(crate) fn post<A: Aggregate>(&self, job: Job<A>) -> bool {
        let mut inner = self.lock();
        inner.waiting.push(Box::new(job));
        !std::mem::replace(&mut inner.working, true)
    }

    /// Every command waiting, and the state left for them; `None` when there are none, and then
    /// the worker is done.
    pub(crate) fn take<A: Aggregate>(&self) -> Option<Batch<A>> {
        let mut inner = self.lock();
        if inner.waiting.is_empty() {
            inner.working = false;
            return None;
        }
        let jobs = inner
            .waiting
            .drain(..)
            .filter_map(|job| job.downcast::<Job<A>>().ok().map(|job| *job))
            .collect();
        let known = inner
            .known
            .take()
            .and_then(|(state, version)| state.downcast::<A>().ok().map(|state| (*state, version)));
        Some((jobs, known))
    }

    /// Leaves the state for the next worker.
    pub(crate) fn keep<A: Aggregate>(&self, state: A, version: u64) {
        self.lock().known = Some((Box::new(state), version));
    }

    /// The state the last worker or decision left, its type erased; the caller holds the
    /// mailbox's turn, and gives a state back with [`keep_erased`](Self::keep_erased) or drops
    /// it when it may be stale.
    pub(crate) fn take_erased(&self) -> Option<(Box<dyn Any + Send + Sync>, u64)> {
        self.lock().known.take()
    }

    /// Leaves a state of the mailbox's aggregate type for the next worker or decision.
    pub(crate) fn keep_erased(&self, state: Box<dyn Any + Send + Sync>, version: u64) {
        self.lock().known = Some((state, version));
    }

    /// After a worker stopped half way (its task panicked or its runtime ended): forgets the
    /// state and lets the next command start a worker. Whether commands are still waiting.
    pub(crate) fn abandon(&self) -> bool {
        let mut inner = self.lock();
        inner.known = None;
        inner.working = !inner.waiting.is_empty();
        inner.working
    }
}

type Key = (&'static str, String);
type Generation = HashMap<Key, Arc<Mailbox>>;

/// The mailboxes, in two generations: one used since the last turnover is kept, one unused for
/// a whole generation is dropped with the state it keeps. Memory stays bounded by about twice
/// `capacity` aggregates, and the ones in use stay.
pub(crate) struct Mailboxes {
    capacity: usize,
    /// The current generation, and the previous one.
    generations: Mutex<(Generation, Generation)>,
}

impl Mailboxes {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            generations: Mutex::default(),
        }
    }

    pub(crate) fn of(&self, aggregate_type: &'static str, aggregate_id: &str) -> Arc<Mailbox> {
        let mut generations = self
            .generations
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (current, previous) = &mut *generations;
        let key = (aggregate_type, aggregate_id.to_owned());
        if let Some(mailbox) = current.get(&key) {
            return Arc::clone(mailbox);
        }
        let mailbox = previous.remove(&key).unwrap_or_default();
        if current.len() >= self.capacity {
            // The oldest generation goes, except the mailboxes a worker or a decision holds:
            // a second mailbox for one aggregate would let two of them work on it at once.
            let oldest = std::mem::replace(previous, std::mem::take(current));
            current.extend(
                oldest
                    .into_iter()
                    .filter(|(_, mailbox)| Arc::strong_count(mailbox) > 1),
            );
        }
        current.insert(key, Arc::clone(&mailbox));
        mailbox
    }
}
