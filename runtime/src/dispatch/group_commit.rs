//! Group commit: the events of commands (or decisions) running at once go to the store
//! together, in one commit, and each is answered once its own events are committed.
//!
//! A durable commit costs a flush to disk; one per command caps throughput at what the disk
//! flushes per second. Here the first command to arrive is sent at once, and commands arriving
//! while [`IN_FLIGHT`] commits are under way wait and go together in the next one.
//!
//! A command arriving with a commit slot free and nobody queued commits in its own task: a
//! quiet service then pays no hand-off to the collector and back, which costs about as much
//! as the statement itself on a fast store. Free slots go to the collector first when it
//! waits for one ([`Semaphore`] is fair), so under load every command still goes through the
//! queue and groups.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use crate::event::{EventEnvelope, NewEvent};
use crate::store::{ConditionalAppend, EventStore, StoreError};

/// Commits under way at once.
const IN_FLIGHT: usize = 2;
/// The most commands one commit carries.
const MAX_GROUPS: usize = 512;

type Answer = Result<Vec<EventEnvelope>, StoreError>;

/// How a group is committed: each item's answer, in order.
type CommitMany<T> = for<'a> fn(
    &'a dyn EventStore,
    Vec<T>,
) -> Pin<Box<dyn Future<Output = Vec<Answer>> + Send + 'a>>;

struct Pending<T> {
    item: T,
    reply: oneshot::Sender<Answer>,
}

/// Commits items (a command's events, a decision's conditional append) through one of the
/// store's group methods, grouping the ones that arrive together.
pub(crate) struct GroupCommit<T> {
    store: Arc<dyn EventStore>,
    commit: CommitMany<T>,
    /// Where items queue for the collector task, started on first use in the caller's
    /// runtime, and started again if that runtime has gone.
    queue: Mutex<Option<mpsc::UnboundedSender<Pending<T>>>>,
    /// The commits under way, the collector's and the callers' own.
    slots: Arc<Semaphore>,
    /// Items sent to the collector and not yet taken into a group.
    queued: Arc<AtomicUsize>,
}

impl GroupCommit<Vec<NewEvent>> {
    /// Commands' events, through [`EventStore::append_many`].
    pub(crate) fn appends(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            commit: |store, groups| store.append_many(groups),
            queue: Mutex::new(None),
            slots: Arc::new(Semaphore::new(IN_FLIGHT)),
            queued: Arc::default(),
        }
    }
}

impl GroupCommit<ConditionalAppend> {
    /// Decisions' conditional appends, through [`EventStore::append_if_many`].
    pub(crate) fn conditional_appends(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            commit: |store, appends| store.append_if_many(appends),
            queue: Mutex::new(None),
            slots: Arc::new(Semaphore::new(IN_FLIGHT)),
            queued: Arc::default(),
        }
    }
}

impl<T: Send + 'static> GroupCommit<T> {
    /// Commits one item, answering once it is committed. The callers are a mailbox's worker
    /// and a decision, which go on when their client stops waiting (see `inline`): no commit
    /// is cut short, including one made in the caller's task.
    pub(crate) async fn append(&self, item: T) -> Answer {
        if self.queued.load(Ordering::Acquire) == 0
            && let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned()
        {
            return self.commit_alone(item, slot).await;
        }
        let (reply, answer) = oneshot::channel();
        let mut pending = Pending { item, reply };
        for _ in 0..2 {
            let sender = self.sender();
            self.queued.fetch_add(1, Ordering::AcqRel);
            match sender.send(pending) {
                Ok(()) => {
                    return answer.await.unwrap_or_else(|_| {
                        Err(StoreError::Unavailable(
                            "the group commit stopped".to_owned(),
                        ))
                    });
                }
                // The collector's runtime is gone: start another in this one.
                Err(mpsc::error::SendError(returned)) => {
                    self.queued.fetch_sub(1, Ordering::AcqRel);
                    pending = returned;
                    self.queue
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .take();
                }
            }
        }
        Err(StoreError::Unavailable(
            "the group commit cannot start".to_owned(),
        ))
    }

    /// Commits `item` on its own, in the caller's task, holding `slot` until done.
    async fn commit_alone(&self, item: T, slot: OwnedSemaphorePermit) -> Answer {
        let answer = (self.commit)(self.store.as_ref(), vec![item]).await.pop();
        drop(slot);
        answer.unwrap_or_else(|| {
            Err(StoreError::Unavailable(
                "the store answered no commit".to_owned(),
            ))
        })
    }

    fn sender(&self) -> mpsc::UnboundedSender<Pending<T>> {
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        queue
            .get_or_insert_with(|| {
                let (sender, receiver) = mpsc::unbounded_channel();
                let collector = Collector {
                    store: Arc::clone(&self.store),
                    commit: self.commit,
                    slots: Arc::clone(&self.slots),
                    queued: Arc::clone(&self.queued),
                };
                tokio::spawn(collector.collect(receiver));
                sender
            })
            .clone()
    }
}

/// What the collector task holds.
struct Collector<T> {
    store: Arc<dyn EventStore>,
    commit: CommitMany<T>,
    slots: Arc<Semaphore>,
    queued: Arc<AtomicUsize>,
}

impl<T: Send + 'static> Collector<T> {
    /// Takes commands off the queue and commits them in groups, [`IN_FLIGHT`] commits at a
    /// time (counting those committed alone); ends when every sender is gone.
    async fn collect(self, mut queue: mpsc::UnboundedReceiver<Pending<T>>) {
        while let Some(first) = queue.recv().await {
            // Waiting for a free slot before draining lets the queue grow into a bigger group.
            let Ok(slot) = Arc::clone(&self.slots).acquire_owned().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_GROUPS {
                match queue.try_recv() {
                    Ok(pending) => batch.push(pending),
                    Err(_) => break,
                }
            }
            self.queued.fetch_sub(batch.len(), Ordering::AcqRel);
            let store = Arc::clone(&self.store);
            let commit = self.commit;
            tokio::spawn(async move {
                let (items, replies): (Vec<_>, Vec<_>) = batch
                    .into_iter()
                    .map(|pending| (pending.item, pending.reply))
                    .unzip();
                let results = commit(store.as_ref(), items).await;
                for (reply, result) in replies.into_iter().zip(results) {
                    // A caller that stopped waiting has nobody to tell.
                    let _ = reply.send(result);
                }
                drop(slot);
            });
        }
    }
}
