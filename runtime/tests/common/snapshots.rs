//! Snapshot behaviour every event store that keeps snapshots must show, run by each adapter's
//! test binary against its own store.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use eventwright::bus::{EventBus, InProcBus};
use eventwright::store::{ConditionalAppend, Cursor, EventStore, LogEntry, Snapshot, StoreError};
use eventwright::{Aggregate, Dispatcher, EventEnvelope, Metadata, NewEvent};
use serde_json::json;

use super::{Bump, Counter, Start};

/// Passes everything to the store it wraps and counts the events [`EventStore::load`] returns:
/// the cost a snapshot is there to cut.
#[derive(Debug)]
pub struct Counting {
    inner: Arc<dyn EventStore>,
    snapshots: Snapshots,
    loaded: AtomicUsize,
}

/// What [`Counting`] does with snapshot calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Snapshots {
    /// Passes them to the wrapped store.
    Kept,
    /// Answers as the trait's defaults do: keeps nothing.
    Unsupported,
    /// Fails every one, as a store whose snapshot table is unreachable would.
    Failing,
}

impl Counting {
    pub fn new(inner: Arc<dyn EventStore>) -> Arc<Self> {
        Self::with(inner, Snapshots::Kept)
    }

    pub fn with(inner: Arc<dyn EventStore>, snapshots: Snapshots) -> Arc<Self> {
        Arc::new(Self {
            inner,
            snapshots,
            loaded: AtomicUsize::new(0),
        })
    }

    /// Events loaded since the last call.
    pub fn take_loaded(&self) -> usize {
        self.loaded.swap(0, Ordering::SeqCst)
    }
}

#[async_trait]
impl EventStore for Counting {
    async fn prepare(&self) -> Result<(), StoreError> {
        self.inner.prepare().await
    }

    async fn load(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let events = self
            .inner
            .load(aggregate_type, aggregate_id, after_sequence)
            .await?;
        self.loaded.fetch_add(events.len(), Ordering::SeqCst);
        Ok(events)
    }

    async fn head(&self) -> Result<eventwright::store::Cursor, StoreError> {
        self.inner.head().await
    }

    async fn read_matching(
        &self,
        query: &eventwright::tag::EventQuery,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.inner.read_matching(query).await
    }

    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<EventEnvelope>, StoreError> {
        self.inner.append(events).await
    }

    async fn sent_command(
        &self,
        command_id: uuid::Uuid,
    ) -> Result<Option<eventwright::store::SentCommand>, StoreError> {
        self.inner.sent_command(command_id).await
    }

    async fn record_refusal(
        &self,
        refused: eventwright::store::SentCommand,
    ) -> Result<(), StoreError> {
        self.inner.record_refusal(refused).await
    }

    async fn append_if(&self, append: ConditionalAppend) -> Result<Vec<EventEnvelope>, StoreError> {
        self.inner.append_if(append).await
    }

    async fn append_if_many(
        &self,
        appends: Vec<ConditionalAppend>,
    ) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
        self.inner.append_if_many(appends).await
    }

    async fn cursor_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: u64,
    ) -> Result<Option<Cursor>, StoreError> {
        self.inner
            .cursor_of(aggregate_type, aggregate_id, sequence)
            .await
    }

    async fn count_after(&self, after: Cursor) -> Result<u64, StoreError> {
        self.inner.count_after(after).await
    }

    async fn read_all(&self, after: Cursor, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        self.inner.read_all(after, limit).await
    }

    async fn load_state(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        self.inner.load_state(aggregate_type, aggregate_id).await
    }

    async fn commit_state(
        &self,
        expected_version: u64,
        state: serde_json::Value,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        self.inner
            .commit_state(expected_version, state, events)
            .await
    }

    async fn relay_checkpoint(&self, relay: &str) -> Result<Cursor, StoreError> {
        self.inner.relay_checkpoint(relay).await
    }

    async fn save_relay_checkpoint(&self, relay: &str, cursor: Cursor) -> Result<(), StoreError> {
        self.inner.save_relay_checkpoint(relay, cursor).await
    }

    async fn load_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        match self.snapshots {
            Snapshots::Kept => self.inner.load_snapshot(aggregate_type, aggregate_id).await,
            Snapshots::Unsupported => Ok(None),
            Snapshots::Failing => Err(StoreError::Unavailable("snapshots are down".into())),
        }
    }

    async fn save_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        snapshot: Snapshot,
    ) -> Result<(), StoreError> {
        match self.snapshots {
            Snapshots::Kept => {
                self.inner
                    .save_snapshot(aggregate_type, aggregate_id, snapshot)
                    .await
            }
            Snapshots::Unsupported => Ok(()),
            Snapshots::Failing => Err(StoreError::Unavailable("snapshots are down".into())),
        }
    }
}

fn dispatcher(store: Arc<dyn EventStore>) -> Dispatcher {
    let bus: Arc<dyn EventBus> = Arc::new(InProcBus::new(Arc::clone(&store)));
    Dispatcher::new(store, bus)
}

/// Starts counter `id` and bumps it until it has `events` events.
async fn counter_with(dispatcher: &Dispatcher, id: &str, events: u64) {
    dispatcher
        .dispatch(Start { id: id.into() }, Metadata::default())
        .await
        .unwrap();
    for _ in 1..events {
        dispatcher
            .dispatch(Bump { id: id.into() }, Metadata::default())
            .await
            .unwrap();
    }
}

/// Counter's state after the event at `sequence`: the start, then one bump per event.
fn counter_at(sequence: u64) -> serde_json::Value {
    json!({ "value": sequence - 1 })
}

/// A snapshot is kept each time the stream reaches a multiple of `SNAPSHOT_EVERY`, holding the
/// state as of that event, and later loads and commands read only the events after it.
pub async fn are_taken_every_n_events_and_loads_start_from_them(store: Arc<dyn EventStore>) {
    let every = Counter::SNAPSHOT_EVERY.expect("the test counter keeps snapshots");
    let counting = Counting::new(Arc::clone(&store));
    let dispatcher = dispatcher(counting.clone());

    counter_with(&dispatcher, "c", every + every / 2).await;
    assert_eq!(
        store.load_snapshot("Counter", "c").await.unwrap(),
        Some(Snapshot {
            sequence: every,
            state: counter_at(every),
        })
    );
    for _ in 0..every {
        dispatcher
            .dispatch(Bump { id: "c".into() }, Metadata::default())
            .await
            .unwrap();
    }
    let total = 2 * every + every / 2;
    assert_eq!(
        store.load_snapshot("Counter", "c").await.unwrap(),
        Some(Snapshot {
            sequence: 2 * every,
            state: counter_at(2 * every),
        })
    );

    counting.take_loaded();
    let (counter, version) = dispatcher.load::<Counter>("c").await.unwrap();
    assert_eq!((counter.value, version), (total as i64 - 1, total));
    assert_eq!(
        counting.take_loaded() as u64,
        total - 2 * every,
        "only the events after the snapshot are read"
    );
    // A process that has not seen the aggregate yet starts from the snapshot...
    let restarted = self::dispatcher(counting.clone());
    restarted
        .dispatch(Bump { id: "c".into() }, Metadata::default())
        .await
        .unwrap();
    assert_eq!(
        counting.take_loaded() as u64,
        total - 2 * every,
        "a command reads only the events after the snapshot"
    );
    // ...and then keeps the aggregate: its next command reads nothing.
    restarted
        .dispatch(Bump { id: "c".into() }, Metadata::default())
        .await
        .unwrap();
    assert_eq!(counting.take_loaded(), 0, "the next command reads nothing");
}

/// A snapshot whose JSON no longer fits the state (the type changed since it was taken) is
/// ignored: the state is rebuilt from every event, and the next snapshot replaces it.
pub async fn that_no_longer_restore_are_ignored(store: Arc<dyn EventStore>) {
    let every = Counter::SNAPSHOT_EVERY.expect("the test counter keeps snapshots");
    let counting = Counting::new(Arc::clone(&store));
    let dispatcher = dispatcher(counting.clone());
    counter_with(&dispatcher, "c", every + 1).await;
    let stale = Snapshot {
        sequence: every + 1,
        state: json!({ "value": "no longer a number" }),
    };
    store.save_snapshot("Counter", "c", stale).await.unwrap();

    counting.take_loaded();
    let (counter, version) = dispatcher.load::<Counter>("c").await.unwrap();
    assert_eq!((counter.value, version), (every as i64, every + 1));
    assert_eq!(
        counting.take_loaded() as u64,
        every + 1,
        "rebuilt from every event"
    );

    for _ in 0..every {
        dispatcher
            .dispatch(Bump { id: "c".into() }, Metadata::default())
            .await
            .unwrap();
    }
    assert_eq!(
        store.load_snapshot("Counter", "c").await.unwrap(),
        Some(Snapshot {
            sequence: 2 * every,
            state: counter_at(2 * every),
        }),
        "the next snapshot replaced it"
    );
}

/// Writers that race may save snapshots out of order; the newest one always stays.
pub async fn never_move_backwards(store: Arc<dyn EventStore>) {
    let at = |sequence| Snapshot {
        sequence,
        state: counter_at(sequence),
    };
    store.save_snapshot("Counter", "c", at(200)).await.unwrap();
    store.save_snapshot("Counter", "c", at(100)).await.unwrap();
    store
        .save_snapshot(
            "Counter",
            "c",
            Snapshot {
                sequence: 200,
                state: json!({ "value": -1 }),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.load_snapshot("Counter", "c").await.unwrap(),
        Some(at(200))
    );
    store.save_snapshot("Counter", "c", at(300)).await.unwrap();
    assert_eq!(
        store.load_snapshot("Counter", "c").await.unwrap(),
        Some(at(300))
    );
    assert_eq!(
        store.load_snapshot("Counter", "other").await.unwrap(),
        None,
        "snapshots are per aggregate"
    );
}

/// An event store that keeps no snapshots (the trait's defaults) loads every event, with the
/// same result.
pub async fn are_optional_for_a_store(store: Arc<dyn EventStore>) {
    let every = Counter::SNAPSHOT_EVERY.expect("the test counter keeps snapshots");
    let counting = Counting::with(Arc::clone(&store), Snapshots::Unsupported);
    let dispatcher = dispatcher(counting.clone());
    counter_with(&dispatcher, "c", every + 1).await;
    counting.take_loaded();
    let (counter, version) = dispatcher.load::<Counter>("c").await.unwrap();
    assert_eq!((counter.value, version), (every as i64, every + 1));
    assert_eq!(counting.take_loaded() as u64, every + 1);
    assert_eq!(store.load_snapshot("Counter", "c").await.unwrap(), None);
}

/// Snapshots are a cache: when the store cannot read or write them, commands still commit and
/// loads still see every event.
pub async fn that_fail_never_fail_a_command(store: Arc<dyn EventStore>) {
    let every = Counter::SNAPSHOT_EVERY.expect("the test counter keeps snapshots");
    let failing = Counting::with(Arc::clone(&store), Snapshots::Failing);
    counter_with(&dispatcher(failing), "c", every + 1).await;
    let (counter, version) = dispatcher(store.clone())
        .load::<Counter>("c")
        .await
        .unwrap();
    assert_eq!((counter.value, version), (every as i64, every + 1));
    assert_eq!(store.load_snapshot("Counter", "c").await.unwrap(), None);
}
