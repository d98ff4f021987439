//! Group commit: the events of commands running at once go to the store together, in one
//! commit, and each command is answered once its own events are committed.
//!
//! A durable commit costs a flush to disk; one per command caps throughput at what the disk
//! flushes per second. Here the first command to arrive is sent at once, and commands arriving
//! while [`IN_FLIGHT`] commits are under way wait and go together in the next one.

use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::event::{EventEnvelope, NewEvent};
use crate::store::{EventStore, StoreError};

/// Commits under way at once.
const IN_FLIGHT: usize = 2;
/// The most commands one commit carries.
const MAX_GROUPS: usize = 512;

type Answer = Result<Vec<EventEnvelope>, StoreError>;

struct Pending {
    events: Vec<NewEvent>,
    reply: oneshot::Sender<Answer>,
}

/// Appends through [`EventStore::append_many`], grouping the commands that arrive together.
pub(crate) struct GroupCommit {
    store: Arc<dyn EventStore>,
    /// Where commands queue for the collector task, started on first use in the caller's
    /// runtime, and started again if that runtime has gone.
    queue: Mutex<Option<mpsc::UnboundedSender<Pending>>>,
}

impl GroupCommit {
    pub(crate) fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            queue: Mutex::new(None),
        }
    }

    /// Appends one command's events, as [`EventStore::append`] does, answering once they are
    /// committed. A caller that stops waiting does not stop the commit.
    pub(crate) async fn append(&self, events: Vec<NewEvent>) -> Answer {
        let (reply, answer) = oneshot::channel();
        let mut pending = Pending { events, reply };
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

    fn sender(&self) -> mpsc::UnboundedSender<Pending> {
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        queue
            .get_or_insert_with(|| {
                let (sender, receiver) = mpsc::unbounded_channel();
                tokio::spawn(collect(Arc::clone(&self.store), receiver));
                sender
            })
            .clone()
    }
}

/// Takes commands off the queue and commits them in groups, [`IN_FLIGHT`] commits at a time;
/// ends when every sender is gone.
async fn collect(store: Arc<dyn EventStore>, mut queue: mpsc::UnboundedReceiver<Pending>) {
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
            let (groups, replies): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .map(|pending| (pending.events, pending.reply))
                .unzip();
            let results = store.append_many(groups).await;
            for (reply, result) in replies.into_iter().zip(results) {
                // A caller that stopped waiting has nobody to tell.
                let _ = reply.send(result);
            }
            drop(slot);
        });
    }
}
