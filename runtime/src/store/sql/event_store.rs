//! The event store on a SQL database.

use async_trait::async_trait;
use eventwright_tables::sql;
use serde_json::Value;

use super::backend::{Arg, Backend, Conn, SqlRow, Tx};
use super::{conflict, migrate, statements};
use crate::event::{EventEnvelope, Metadata, NewEvent};
use crate::store::integers::{to_cursor, to_i64, to_u64};
use crate::store::{
    ConditionalAppend, Cursor, EventStore, LogEntry, SentCommand, Snapshot, StoreError,
};
use crate::tag::EventQuery;

/// Events in one table, in the order they committed; each event-sourced aggregate's newest
/// snapshot, each state-stored aggregate's state and each relay's checkpoint in tables of their
/// own (see `eventwright_tables::sql::event_store`).
///
/// The log is read in [`Cursor`] order. On SQLite, which has one writer at a time, that is
/// position order. PostgreSQL hands positions out before commit, so a later position can become
/// visible before an earlier one: each event also records the id of the transaction that wrote
/// it, and the log is read in (transaction, position) order, only up to the oldest transaction
/// still running. Every transaction below that horizon has finished, so nothing can appear
/// behind a reader afterwards; a long-running transaction anywhere on the server therefore
/// delays readers (never loses an event) until it ends.
#[derive(Debug, Clone)]
pub struct SqlEventStore<B> {
    db: B,
}

impl<B: Backend> SqlEventStore<B> {
    pub fn new(db: B) -> Self {
        Self { db }
    }

    pub(super) fn db(&self) -> &B {
        &self.db
    }

    /// Every group's events in one transaction. A group with a taken sequence is left out
    /// whole: its rows that did go in are deleted again before the commit.
    async fn append_groups(
        &self,
        groups: Vec<Vec<NewEvent>>,
    ) -> Result<Vec<Result<Vec<EventEnvelope>, StoreError>>, StoreError> {
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        let all: Vec<NewEvent> = groups.into_iter().flatten().collect();
        let mut tx = self.db.begin_writing().await?;
        let mut positions = self.db.insert_events(&mut tx, &all).await?.into_iter();
        let mut events = all.into_iter();
        let mut results = Vec::with_capacity(sizes.len());
        let mut undo = Vec::new();
        for size in sizes {
            let group: Vec<NewEvent> = events.by_ref().take(size).collect();
            let found: Vec<Option<u64>> = positions.by_ref().take(size).collect();
            match group
                .iter()
                .zip(&found)
                .find(|(_, position)| position.is_none())
            {
                Some((taken, _)) => {
                    results.push(Err(conflict(taken)));
                    undo.extend(found.into_iter().flatten());
                }
                None => {
                    super::tags::insert_tags(&mut tx, self.db.dialect(), &group, &found).await?;
                    results.push(super::envelopes(group, found));
                }
            }
        }
        let delete = statements::delete_event(self.db.dialect());
        for position in undo {
            tx.execute(&delete, &[Arg::Int(to_i64(position)?)]).await?;
        }
        tx.commit().await?;
        Ok(results)
    }

    /// A snapshot or state row: `sql` selects its `sequence` and its `state` for one aggregate.
    async fn kept_state(
        &self,
        sql: &str,
        what: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        let args = [Arg::Text(aggregate_type), Arg::Text(aggregate_id)];
        let Some(row) = self.db.pool().fetch_optional(sql, &args).await? else {
            return Ok(None);
        };
        let state = row.json("state").map_err(|error| {
            StoreError::Corrupt(format!(
                "{what} of {aggregate_type} {aggregate_id}: {error}"
            ))
        })?;
        Ok(Some(Snapshot {
            sequence: to_u64(row.int("sequence")?)?,
            state,
        }))
    }

    /// The cursor `sql` selects (one row, or none: the start of the log).
    async fn last_of(&self, sql: String) -> Result<Cursor, StoreError> {
        let row = self.db.pool().fetch_optional(&sql, &[]).await?;
        row.map_or(Ok(Cursor::START), |row| cursor(row.as_ref()))
    }
}

#[async_trait]
impl<B: Backend> EventStore for SqlEventStore<B> {
    async fn prepare(&self) -> Result<(), StoreError> {
        let migrations = sql::event_store(self.db.dialect());
        migrate(&self.db, "eventwright_events", &migrations, &[]).await
    }

    async fn load(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let sql = statements::load(self.db.dialect(), self.db.log_order());
        let args = [
            Arg::Text(aggregate_type),
            Arg::Text(aggregate_id),
            Arg::Int(to_i64(after_sequence)?),
        ];
        let rows = self.db.pool().fetch_all(&sql, &args).await?;
        rows.iter()
            .map(|row| entry(row.as_ref()).map(|entry| entry.envelope))
            .collect()
    }

    async fn read_matching(&self, query: &EventQuery) -> Result<Vec<EventEnvelope>, StoreError> {
        let (dialect, log) = (self.db.dialect(), self.db.log_order());
        super::tags::read_matching(&mut self.db.pool(), dialect, log, query).await
    }

    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<EventEnvelope>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        if super::tags::any_tagged(&events) {
            // The tag rows need a transaction around the statement PostgreSQL's fast path is.
            return super::tags::append_tagged(&self.db, events).await;
        }
        self.db.append(events).await
    }

    async fn append_many(
        &self,
        groups: Vec<Vec<NewEvent>>,
    ) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
        if let [_] = groups.as_slice() {
            let group = groups.into_iter().next().expect("one group");
            return vec![self.append(group).await];
        }
        let count = groups.len();
        match self.append_groups(groups).await {
            Ok(results) => results,
            // The transaction itself failed: every group with it.
            Err(error) => (0..count).map(|_| Err(error.duplicate())).collect(),
        }
    }

    async fn append_if(&self, append: ConditionalAppend) -> Result<Vec<EventEnvelope>, StoreError> {
        super::conditional_append::append_if(&self.db, append).await
    }

    async fn append_if_many(
        &self,
        appends: Vec<ConditionalAppend>,
    ) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
        super::conditional_append::append_if_many(&self.db, appends).await
    }

    async fn sent_command(
        &self,
        command_id: uuid::Uuid,
    ) -> Result<Option<SentCommand>, StoreError> {
        super::sent_commands::sent_command(&mut self.db.pool(), self.db.dialect(), command_id).await
    }

    async fn record_refusal(&self, refused: SentCommand) -> Result<(), StoreError> {
        super::sent_commands::record_refusal(&mut self.db.pool(), self.db.dialect(), &refused).await
    }

    async fn cursor_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: u64,
    ) -> Result<Option<Cursor>, StoreError> {
        let sql = statements::cursor_of(self.db.dialect(), self.db.log_order());
        let args = [
            Arg::Text(aggregate_type),
            Arg::Text(aggregate_id),
            Arg::Int(to_i64(sequence)?),
        ];
        let row = self.db.pool().fetch_optional(&sql, &args).await?;
        row.map(|row| cursor(row.as_ref())).transpose()
    }

    async fn count_after(&self, after: Cursor) -> Result<u64, StoreError> {
        let transaction = after.transaction.to_string();
        let sql = statements::count_after(self.db.log_order());
        let args = after_args(&transaction, after)?;
        let row = self.db.pool().fetch_optional(&sql, &args).await?;
        row.map_or(Ok(0), |row| to_u64(row.int("behind")?))
    }

    async fn read_all(&self, after: Cursor, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let transaction = after.transaction.to_string();
        let sql = statements::read_all(self.db.dialect(), self.db.log_order());
        let [tx, position] = after_args(&transaction, after)?;
        let limit = Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX));
        let rows = self
            .db
            .pool()
            .fetch_all(&sql, &[tx, position, limit])
            .await?;
        rows.iter().map(|row| entry(row.as_ref())).collect()
    }

    async fn head(&self) -> Result<Cursor, StoreError> {
        self.last_of(statements::head(self.db.log_order())).await
    }

    async fn last_committed(&self) -> Result<Cursor, StoreError> {
        self.last_of(statements::last_committed(self.db.log_order()))
            .await
    }

    async fn load_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        let sql = statements::select_snapshot(self.db.dialect());
        self.kept_state(&sql, "snapshot", aggregate_type, aggregate_id)
            .await
    }

    async fn save_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        snapshot: Snapshot,
    ) -> Result<(), StoreError> {
        let sql = statements::save_snapshot(self.db.dialect());
        let args = [
            Arg::Text(aggregate_type),
            Arg::Text(aggregate_id),
            Arg::Int(to_i64(snapshot.sequence)?),
            Arg::Json(&snapshot.state),
        ];
        self.db.pool().execute(&sql, &args).await?;
        Ok(())
    }

    async fn load_state(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        let sql = statements::select_state(self.db.dialect());
        self.kept_state(&sql, "state", aggregate_type, aggregate_id)
            .await
    }

    async fn commit_state(
        &self,
        expected_version: u64,
        state: Value,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        if super::tags::any_tagged(&events) {
            // The tag rows need a transaction around the statement PostgreSQL's fast path is.
            return super::commit_state_in_steps(&self.db, expected_version, state, events).await;
        }
        self.db.commit_state(expected_version, state, events).await
    }

    async fn relay_checkpoint(&self, relay: &str) -> Result<Cursor, StoreError> {
        let sql = statements::select_relay_checkpoint(self.db.dialect());
        let row = self
            .db
            .pool()
            .fetch_optional(&sql, &[Arg::Text(relay)])
            .await?;
        stored_cursor(row.as_deref())
    }

    async fn save_relay_checkpoint(&self, relay: &str, cursor: Cursor) -> Result<(), StoreError> {
        let sql = statements::save_relay_checkpoint(self.db.dialect());
        let args = [
            Arg::Text(relay),
            Arg::Int(to_i64(cursor.transaction)?),
            Arg::Int(to_i64(cursor.position)?),
        ];
        self.db.pool().execute(&sql, &args).await?;
        Ok(())
    }
}

/// What "after a cursor" binds (see [`LogOrder::after`](super::LogOrder)): its transaction as
/// text, then its position.
fn after_args(transaction: &str, cursor: Cursor) -> Result<[Arg<'_>; 2], StoreError> {
    Ok([Arg::Text(transaction), Arg::Int(to_i64(cursor.position)?)])
}

/// A checkpoint row (`transaction_id`, `position`) as a cursor; no row is the start of the log.
pub(super) fn stored_cursor(row: Option<&dyn SqlRow>) -> Result<Cursor, StoreError> {
    let stored = row
        .map(|row| Ok::<_, StoreError>((row.int("transaction_id")?, row.int("position")?)))
        .transpose()?;
    to_cursor(stored)
}

/// Where a row of the log stands: its writing transaction (`log_transaction`) and position.
fn cursor(row: &dyn SqlRow) -> Result<Cursor, StoreError> {
    let transaction = row.text("log_transaction")?;
    Ok(Cursor {
        transaction: transaction.parse().map_err(|error| {
            StoreError::Corrupt(format!("event transaction id {transaction}: {error}"))
        })?,
        position: to_u64(row.int("position")?)?,
    })
}

/// A row of the log as an entry: see `statements::load`.
pub(super) fn entry(row: &dyn SqlRow) -> Result<LogEntry, StoreError> {
    let event_version = row.int("event_version")?;
    let envelope = EventEnvelope {
        event_id: row.uuid("event_id")?,
        aggregate_type: row.text("aggregate_type")?,
        aggregate_id: row.text("aggregate_id")?,
        sequence: to_u64(row.int("sequence")?)?,
        position: to_u64(row.int("position")?)?,
        event_type: row.text("event_type")?,
        event_version: u32::try_from(event_version)
            .map_err(|error| StoreError::Corrupt(format!("event version: {error}")))?,
        timestamp: row.timestamp("timestamp")?,
        metadata: Metadata {
            correlation_id: row.opt_text("correlation_id")?,
            causation_id: row.opt_text("causation_id")?,
            traceparent: row.opt_text("traceparent")?,
            actor: row.opt_text("actor")?,
        },
        payload: row.json("payload")?,
    };
    Ok(LogEntry {
        cursor: cursor(row)?,
        envelope,
    })
}
