//! The write side's store: the log, snapshots, state rows, relay checkpoints.

use async_trait::async_trait;
use serde_json::Value;

use super::{ConditionalAppend, Cursor, LogEntry, SentCommand, Snapshot, StoreError};
use crate::event::{EventEnvelope, NewEvent};
use crate::tag::EventQuery;

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

    /// Every event matching `query`, in log position order: what a
    /// [`Fact`](crate::decision::Fact) is folded from. Reading the same query again in an
    /// [`append_if`](Self::append_if) transaction finds the same events unless one was added.
    async fn read_matching(&self, query: &EventQuery) -> Result<Vec<EventEnvelope>, StoreError>;

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

    /// Appends the events of a decision over several aggregates in one transaction, with its
    /// state rows and unique values, if everything the decision read still stands: see
    /// [`ConditionalAppend`]. Otherwise writes nothing and fails with
    /// [`StoreError::Conflict`] (a stream read or appended to has moved: decide again) or
    /// [`StoreError::Taken`] (a claimed value is held by another aggregate: refuse).
    ///
    /// Decisions that share a stream take turns on it, so none decides on a read another is
    /// about to change. A plain [`append`](Self::append) to a stream needs no turn: it reads
    /// only the stream it writes, so it can never make two decisions' reads contradict.
    async fn append_if(&self, append: ConditionalAppend) -> Result<Vec<EventEnvelope>, StoreError>;

    /// Several decisions' [`append_if`](Self::append_if)s, each with its own result, in as few
    /// commits as the store can: group commit for decisions. Each is all or nothing, and fails
    /// alone when what it read has moved. The default appends them one by one.
    async fn append_if_many(
        &self,
        appends: Vec<ConditionalAppend>,
    ) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
        let mut results = Vec::with_capacity(appends.len());
        for append in appends {
            results.push(self.append_if(append).await);
        }
        results
    }

    /// How the command sent with `command_id` ended, if it was sent before: committed (its
    /// record is written with its events, by [`append_if`](Self::append_if)) or refused.
    async fn sent_command(&self, command_id: uuid::Uuid)
    -> Result<Option<SentCommand>, StoreError>;

    /// Records how the command `refused.command_id` ended without appending: refused (its
    /// `refusal`), or deciding on no events (none, at its `version`). A record already there
    /// (the command committed, or ended before) is kept.
    async fn record_refusal(&self, refused: SentCommand) -> Result<(), StoreError>;

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

    /// The cursor of the last event a reader of the log can see now ([`Cursor::START`] when
    /// none): [`read_all`](Self::read_all) after it returns only events seen later.
    async fn head(&self) -> Result<Cursor, StoreError>;

    /// The cursor of the last event committed, whether or not a reader of the log can see it
    /// yet. Where transactions commit out of cursor order (PostgreSQL), an event committed while
    /// an older transaction still runs is past [`head`](Self::head) until that one ends; where
    /// they commit in order, this is the head.
    async fn last_committed(&self) -> Result<Cursor, StoreError> {
        self.head().await
    }

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
