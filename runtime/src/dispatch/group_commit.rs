//! Group commit: the events of commands (or decisions) running at once go to the store
//! together, in one commit, and each is answered once its own events are committed.
//!
//! A durable commit costs a flush to disk; one per command caps throughput at what the disk
//! flushes per second. Here the first command to arrive is sent at once, and commands arriving
//! while [`IN_FLIGHT`] commits are under way wait and go together in the next one.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, mpsc, oneshot};

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
}

impl GroupCommit<Vec<NewEvent>> {
    /// Commands' events, through [`EventStore::append_many`].
    pub(crate) fn appends(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            commit: |store, groups| store.append_many(groups),
            queue: Mutex::new(None),
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
        }
    }
}

impl<T: Send + 'static> GroupCommit<T> {
    /// Commits one item, answering once it is committed. A caller that stops waiting does not
    /// stop the commit.
    pub(crate) async fn append(&self, item: T) -> Answer {
        let (reply, answer) = oneshot::channel();
        let mut pending = Pending { item, reply };
        for _ in 0..2 {
            let sender = self.sender();
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

    fn sender(&self) -> mpsc::UnboundedSender<Pending<T>> {
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        queue
            .get_or_insert_with(|| {
                let (sender, receiver) = mpsc::unbounded_channel();
                tokio::spawn(collect(Arc::clone(&self.store), self.commit, receiver));
                sender
            })
            .clone()
    }
}

/// Takes commands off the queue and commits them in groups, [`IN_FLIGHT`] commits at a time;
/// ends when every sender is gone.
async fn collect<T: Send + 'static>(
    store: Arc<dyn EventStore>,
    commit: CommitMany<T>,
    mut queue: mpsc::UnboundedReceiver<Pending<T>>,
) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = queue.recv().await {
        // Waiting for a free slot before draining lets the queue grow into a bigger group.
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_GROUPS {
            match queue.try_recv() {
                Ok(pending) => batch.push(pending),
                Err(_) => break,
            }
        }
        let store = Arc::clone(&store);
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
