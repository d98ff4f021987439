//! Where events and read models are kept.
//!
//! [`EventStore`] is the write side: the append-only log of every event, each event-sourced
//! aggregate's [`Snapshot`]s, each state-stored aggregate's current state, and the relays'
//! checkpoints. [`ReadStore`] holds projection rows and each projection's checkpoint. Both are
//! object-safe so a service picks its adapters at start-up.
//! The traits speak in events, rows and cursors; nothing in them assumes a particular database.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::event::{EventEnvelope, NewEvent};
use crate::schema::TableSchema;

#[cfg(feature = "cassandra")]
pub mod cassandra;
pub mod generation;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "cassandra"))]
mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// A projection row as the read store sees it: column name to value.
pub type Row = Map<String, Value>;

/// Where a reader of the whole log stands.
///
/// The log is read in cursor order: by committing transaction, then position. In a store whose
/// positions can become visible out of order (PostgreSQL hands out sequence values before
/// commit), reading by position alone would skip an event that commits late; reading by
/// transaction, and only transactions that can no longer change, never does. A store with one
/// writer at a time (SQLite) leaves `transaction` at 0, which makes this plain position order.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Cursor {
    pub transaction: u64,
    pub position: u64,
}

impl Cursor {
    /// Before the first event.
    pub const START: Cursor = Cursor {
        transaction: 0,
        position: 0,
    };
}

/// An event read from the log, with the cursor that points just past it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub cursor: Cursor,
    pub envelope: EventEnvelope,
}

/// The append-only log of every aggregate's events.
#[async_trait]
pub trait EventStore: std::fmt::Debug + Send + Sync + 'static {
    /// Creates the store's tables if they are missing.
    async fn prepare(&self) -> Result<(), StoreError>;

    /// One aggregate's events with a sequence above `after_sequence`, in sequence order.
    async fn load(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError>;

    /// Appends events of one aggregate atomically: all or none.
    ///
    /// Sequences must continue the aggregate's stream. If another writer already took one of them,
    /// nothing is written and [`StoreError::Conflict`] is returned.
    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<EventEnvelope>, StoreError>;

    /// Appends several aggregates' events in one commit: group commit. Each group is all or
    /// nothing, as with [`append`](Self::append), and gets its own result: a group whose
    /// sequences are taken fails with [`StoreError::Conflict`] while the others commit. The
    /// default appends the groups one by one.
    async fn append_many(
        &self,
        groups: Vec<Vec<NewEvent>>,
    ) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
        let mut results = Vec::with_capacity(groups.len());
        for group in groups {
            results.push(self.append(group).await);
        }
        results
    }

    /// Whether the store answers, for a readiness check: by default, a read of one event.
    async fn ping(&self) -> Result<(), StoreError> {
        self.read_all(Cursor::START, 1).await.map(drop)
    }

    /// Where one event stands in the log, `None` when there is no such event: what a reader
    /// holding a consistency token compares a projection's checkpoint with.
    async fn cursor_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: u64,
    ) -> Result<Option<Cursor>, StoreError>;

    /// How many events the log holds after `after`: how far behind a reader standing there is.
    async fn count_after(&self, after: Cursor) -> Result<u64, StoreError>;

    /// Up to `limit` events after `after`, in cursor order. An event that a later read could
    /// still reveal before the last one returned is never returned past: readers never skip.
    async fn read_all(&self, after: Cursor, limit: usize) -> Result<Vec<LogEntry>, StoreError>;

    /// The newest snapshot of one aggregate, if this store keeps any.
    ///
    /// A snapshot is only a shortcut: the events stay the truth, and a store that keeps none
    /// (the default) makes every load read the whole stream.
    async fn load_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        let _ = (aggregate_type, aggregate_id);
        Ok(None)
    }

    /// Keeps `snapshot` as the aggregate's newest unless one at the same or a later sequence is
    /// already kept: writers that race never move it backwards. The default keeps nothing.
    async fn save_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        snapshot: Snapshot,
    ) -> Result<(), StoreError> {
        let _ = (aggregate_type, aggregate_id, snapshot);
        Ok(())
    }

    /// The current state of a state-stored aggregate and its version, `None` before its first
    /// command.
    async fn load_state(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError>;

    /// Writes a state-stored aggregate's new state and appends its `events` to the log, in one
    /// transaction: the log is the outbox, so the events are published exactly when the state
    /// change is kept.
    ///
    /// `expected_version` is the version the state was loaded at (0 for a new aggregate); the
    /// new version is the last event's sequence. If the stored version is no longer
    /// `expected_version`, nothing is written and [`StoreError::Conflict`] is returned.
    async fn commit_state(
        &self,
        expected_version: u64,
        state: Value,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError>;

    /// Where the relay named `relay` stands in the log; [`Cursor::START`] before its first run.
    async fn relay_checkpoint(&self, relay: &str) -> Result<Cursor, StoreError>;

    /// Moves `relay`'s checkpoint to `cursor`. It never moves backwards: a relay that raced
    /// another instance of itself keeps the later of the two.
    async fn save_relay_checkpoint(&self, relay: &str, cursor: Cursor) -> Result<(), StoreError>;
}

/// An aggregate's state after the event at `sequence`, as [`Aggregate::snapshot`] wrote it: a
/// snapshot of an event-sourced aggregate, or the current state of a state-stored one.
///
/// [`Aggregate::snapshot`]: crate::Aggregate::snapshot
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub sequence: u64,
    pub state: Value,
}

/// What an event does to a projection's table, in the store's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum RowChange {
    /// Nothing to write; the checkpoint still moves.
    None,
    Upsert(Row),
    Delete(Value),
}

/// What [`ReadStore::update`] does with the row it read: the change to write, or why the row
/// cannot be changed. A store without transactions may call it again on a row that changed
/// under it, so it must depend on nothing but the row.
pub type Decide<'a> = Box<dyn Fn(Option<Row>) -> Result<RowChange, String> + Send + Sync + 'a>;

/// The event a read store is applying, and how it tells that event from one applied already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: u64,
    /// The event's place in the log, when events arrive in log order (the in-process bus reads
    /// the log): one checkpoint per projection, which each event's cursor must pass. `None` when
    /// each aggregate's events arrive in order but aggregates interleave (a partitioned broker):
    /// then the last sequence applied per aggregate is what the event's must pass.
    pub cursor: Option<Cursor>,
}

impl<'a> Mark<'a> {
    /// An event read from the log at `cursor`.
    pub fn in_log(envelope: &'a EventEnvelope, cursor: Cursor) -> Self {
        Self {
            cursor: Some(cursor),
            ..Self::delivered(envelope)
        }
    }

    /// An event delivered by a broker, in order for its aggregate only.
    pub fn delivered(envelope: &'a EventEnvelope) -> Self {
        Self {
            aggregate_type: &envelope.aggregate_type,
            aggregate_id: &envelope.aggregate_id,
            sequence: envelope.sequence,
            cursor: None,
        }
    }
}

/// One event's change to a projection, as [`ReadStore::update`] takes it.
pub struct Update<'a> {
    pub mark: Mark<'a>,
    pub key: Option<Value>,
    pub decide: Decide<'a>,
}

impl std::fmt::Debug for Update<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Update")
            .field("mark", &self.mark)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Projection tables and checkpoints.
///
/// A projection's rows, checkpoint and marks live under its name and its table's name; a
/// rebuild writes a new generation of them under names of their own (see
/// [`generation`](crate::store::generation)), and queries follow [`active`](Self::active).
#[async_trait]
pub trait ReadStore: std::fmt::Debug + Send + Sync + 'static {
    /// Creates the tables every projection shares (checkpoints, marks, generations) if they are
    /// missing.
    async fn prepare_bookkeeping(&self) -> Result<(), StoreError>;

    /// Creates the shared tables and this projection's table and indexes, if they are missing.
    async fn prepare(&self, schema: &TableSchema) -> Result<(), StoreError>;

    /// The generation of `projection` that queries read and projectors keep up to date: 0 until
    /// its first rebuild.
    async fn active(&self, projection: &str) -> Result<u64, StoreError>;

    /// Makes `generation` of `projection` the active one. It never moves backwards.
    async fn activate(&self, projection: &str, generation: u64) -> Result<(), StoreError>;

    /// Moves `projection`'s checkpoint to `cursor`, unless it is there or past it already: for
    /// a replay that marks events per aggregate, to remember how far it read the log.
    async fn save_checkpoint(&self, projection: &str, cursor: Cursor) -> Result<(), StoreError>;

    /// Drops the projection's tables and forgets its checkpoint and marks: what is left of a
    /// generation once another is active.
    async fn drop_projection(
        &self,
        schema: &TableSchema,
        projection: &str,
    ) -> Result<(), StoreError>;

    /// Whether the store answers, for a readiness check: by default, a read of a checkpoint.
    async fn ping(&self) -> Result<(), StoreError> {
        self.checkpoint("eventwright.ready").await.map(drop)
    }

    /// The cursor of the last event `projection` applied; [`Cursor::START`] before the first.
    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError>;

    /// The last sequence of one aggregate that `projection` has handled when its events are
    /// marked per aggregate (a partitioned broker); 0 before the first. Events the projection
    /// does not consume leave no mark.
    async fn progress(
        &self,
        schema: &TableSchema,
        projection: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<u64, StoreError>;

    /// The row with this key.
    async fn get(&self, schema: &TableSchema, key: &Value) -> Result<Option<Row>, StoreError>;

    /// In one transaction: unless `mark` shows the event was applied already, reads the row at
    /// `key` (when there is one), passes it to `decide`, writes the change it returns and moves
    /// the mark. Returns whether the event was applied; `false` is how redelivered events are
    /// skipped. Appliers of the same row take turns, so two processes projecting at once never
    /// lose each other's updates. An error from `decide` aborts the transaction and is returned
    /// as [`StoreError::Corrupt`].
    async fn update(
        &self,
        schema: &TableSchema,
        projection: &str,
        mark: Mark<'_>,
        key: Option<&Value>,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError>;

    /// Several events' [`update`](Self::update)s, in order: each is skipped or applied as
    /// `update` would. Returns whether each was applied. A store with transactions commits them
    /// together, and writes none when one fails; the default applies them one by one and stops
    /// at the first failure. Either way the error is returned, and applying the events again
    /// one by one is safe (each is marked) and finds the event at fault.
    async fn update_many(
        &self,
        schema: &TableSchema,
        projection: &str,
        updates: Vec<Update<'_>>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut applied = Vec::with_capacity(updates.len());
        for update in updates {
            applied.push(
                self.update(
                    schema,
                    projection,
                    update.mark,
                    update.key.as_ref(),
                    update.decide,
                )
                .await?,
            );
        }
        Ok(applied)
    }

    /// [`update`](Self::update) with a change decided beforehand, for an event read from the
    /// log.
    async fn apply(
        &self,
        schema: &TableSchema,
        projection: &str,
        entry: &LogEntry,
        change: RowChange,
    ) -> Result<bool, StoreError> {
        let decide: Decide<'_> = Box::new(move |_| Ok(change.clone()));
        let mark = Mark::in_log(&entry.envelope, entry.cursor);
        self.update(schema, projection, mark, None, decide).await
    }

    /// Rows whose `field` equals `value`, ordered by key, starting after `after_key`.
    async fn list(
        &self,
        schema: &TableSchema,
        field: &str,
        value: &Value,
        after_key: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError>;
}

/// A store failed or refused.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to the aggregate first.
    #[error("concurrent write to {aggregate_type} {aggregate_id}: sequence {sequence} is taken")]
    Conflict {
        aggregate_type: String,
        aggregate_id: String,
        sequence: u64,
    },
    /// Stored data does not have the shape it should.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The database cannot be reached (the message names it, without credentials).
    #[error("{0}")]
    Unavailable(String),
    /// The database itself failed.
    #[error("store backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn backend(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Backend(Box::new(error))
    }

    /// The same error again, for each of several callers that one failure answers.
    pub fn duplicate(&self) -> Self {
        match self {
            Self::Conflict {
                aggregate_type,
                aggregate_id,
                sequence,
            } => Self::Conflict {
                aggregate_type: aggregate_type.clone(),
                aggregate_id: aggregate_id.clone(),
                sequence: *sequence,
            },
            Self::Corrupt(message) => Self::Corrupt(message.clone()),
            Self::Unavailable(message) => Self::Unavailable(message.clone()),
            Self::Backend(error) => {
                Self::Backend(Box::new(std::io::Error::other(error.to_string())))
            }
        }
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::backend(error)
    }
}
