use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row as _, Sqlite, SqlitePool, Transaction};
use uuid::Uuid;

use super::read_store::SQLITE;
use crate::event::{EventEnvelope, Metadata, NewEvent};
use crate::store::sql::{self, to_cursor, to_i64, to_u64};
use crate::store::{Cursor, EventStore, LogEntry, Snapshot, StoreError};

/// Events in one SQLite table; each event-sourced aggregate's newest snapshot, each state-stored
/// aggregate's state and each relay's checkpoint in tables of their own.
///
/// SQLite has a single writer, so positions are handed out in commit order and a reader never
/// sees a later position before an earlier one.
#[derive(Debug, Clone)]
pub struct SqliteEventStore {
    pool: SqlitePool,
}

impl SqliteEventStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// A snapshot or state row: `sql` selects its sequence and its JSON for one aggregate.
    async fn kept_state(
        &self,
        sql: &str,
        what: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        let stored: Option<(i64, String)> = sqlx::query_as(sql)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .fetch_optional(&self.pool)
            .await?;
        stored
            .map(|(sequence, state)| {
                Ok(Snapshot {
                    sequence: to_u64(sequence)?,
                    state: serde_json::from_str(&state).map_err(|error| {
                        StoreError::Corrupt(format!(
                            "{what} of {aggregate_type} {aggregate_id}: {error}"
                        ))
                    })?,
                })
            })
            .transpose()
    }
}

const SCHEMA: [&str; 4] = [
    r#"
CREATE TABLE IF NOT EXISTS eventwright_events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id       TEXT    NOT NULL UNIQUE,
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    sequence       INTEGER NOT NULL,
    event_type     TEXT    NOT NULL,
    event_version  INTEGER NOT NULL,
    timestamp      TEXT    NOT NULL,
    correlation_id TEXT,
    causation_id   TEXT,
    payload        TEXT    NOT NULL,
    UNIQUE (aggregate_type, aggregate_id, sequence)
)"#,
    r#"
CREATE TABLE IF NOT EXISTS eventwright_snapshots (
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    sequence       INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
)"#,
    r#"
CREATE TABLE IF NOT EXISTS eventwright_states (
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
)"#,
    r#"
CREATE TABLE IF NOT EXISTS eventwright_relay_checkpoints (
    relay          TEXT    PRIMARY KEY,
    transaction_id INTEGER NOT NULL,
    position       INTEGER NOT NULL
)"#,
];

const COLUMNS: &str = "position, event_id, aggregate_type, aggregate_id, sequence, event_type, \
                       event_version, timestamp, correlation_id, causation_id, traceparent, \
                       payload";

impl SqliteEventStore {
    /// Every group in one transaction, each inside a savepoint: a group with a taken sequence is
    /// rolled back alone.
    async fn append_groups(&self, groups: Vec<Vec<NewEvent>>) -> sql::GroupResults {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut results = Vec::with_capacity(groups.len());
        for group in groups {
            sqlx::query("SAVEPOINT eventwright_group")
                .execute(&mut *tx)
                .await?;
            let inserted = insert_events(&mut tx, group).await;
            if let Err(StoreError::Conflict { .. }) = &inserted {
                sqlx::query("ROLLBACK TO eventwright_group")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("RELEASE eventwright_group")
                .execute(&mut *tx)
                .await?;
            match inserted {
                Ok(stored) => results.push(Ok(stored)),
                Err(conflict @ StoreError::Conflict { .. }) => results.push(Err(conflict)),
                Err(error) => return Err(error),
            }
        }
        tx.commit().await?;
        Ok(results)
    }
}

#[async_trait]
impl EventStore for SqliteEventStore {
    async fn prepare(&self) -> Result<(), StoreError> {
        for statement in SCHEMA {
            sqlx::query(statement).execute(&self.pool).await?;
        }
        // Added after the table's first release, to new and old tables alike. SQLite has no
        // ADD COLUMN IF NOT EXISTS.
        let has_traceparent: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('eventwright_events') \
             WHERE name = 'traceparent')",
        )
        .fetch_one(&self.pool)
        .await?;
        if !has_traceparent {
            sqlx::query("ALTER TABLE eventwright_events ADD COLUMN traceparent TEXT")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    async fn load(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM eventwright_events \
             WHERE aggregate_type = ? AND aggregate_id = ? AND sequence > ? ORDER BY sequence"
        );
        let rows = sqlx::query(&sql)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(to_i64(after_sequence)?)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(envelope_from_row).collect()
    }

    async fn cursor_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: u64,
    ) -> Result<Option<Cursor>, StoreError> {
        let position: Option<i64> = sqlx::query_scalar(
            "SELECT position FROM eventwright_events \
             WHERE aggregate_type = ? AND aggregate_id = ? AND sequence = ?",
        )
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(to_i64(sequence)?)
        .fetch_optional(&self.pool)
        .await?;
        // One writer at a time: the log's order is the positions' order.
        position
            .map(|position| to_cursor(Some((0, position))))
            .transpose()
    }

    async fn count_after(&self, after: Cursor) -> Result<u64, StoreError> {
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM eventwright_events WHERE position > ?")
                .bind(to_i64(after.position)?)
                .fetch_one(&self.pool)
                .await?;
        to_u64(count)
    }

    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<EventEnvelope>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let stored = insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn append_many(
        &self,
        groups: Vec<Vec<NewEvent>>,
    ) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
        sql::append_many(self, groups, |groups| self.append_groups(groups)).await
    }

    async fn load_state(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        let sql = "SELECT version, state FROM eventwright_states \
                   WHERE aggregate_type = ? AND aggregate_id = ?";
        self.kept_state(sql, "state", aggregate_type, aggregate_id)
            .await
    }

    async fn commit_state(
        &self,
        expected_version: u64,
        state: Value,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let Some(last) = events.last() else {
            return Ok(Vec::new());
        };
        let conflict = StoreError::Conflict {
            aggregate_type: last.aggregate_type.clone(),
            aggregate_id: last.aggregate_id.clone(),
            sequence: expected_version + 1,
        };
        // The state write comes first, so the transaction takes SQLite's write lock before it
        // reads anything and cannot fail later on a stale read.
        let mut tx = self.pool.begin().await?;
        let written = if expected_version == 0 {
            sqlx::query(
                "INSERT INTO eventwright_states (aggregate_type, aggregate_id, version, state) \
                 VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(&last.aggregate_type)
            .bind(&last.aggregate_id)
            .bind(to_i64(last.sequence)?)
            .bind(state.to_string())
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE eventwright_states SET version = ?, state = ? \
                 WHERE aggregate_type = ? AND aggregate_id = ? AND version = ?",
            )
            .bind(to_i64(last.sequence)?)
            .bind(state.to_string())
            .bind(&last.aggregate_type)
            .bind(&last.aggregate_id)
            .bind(to_i64(expected_version)?)
            .execute(&mut *tx)
            .await?
        };
        if written.rows_affected() == 0 {
            return Err(conflict);
        }
        let stored = insert_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn relay_checkpoint(&self, relay: &str) -> Result<Cursor, StoreError> {
        let stored: Option<(i64, i64)> = sqlx::query_as(
            "SELECT transaction_id, position FROM eventwright_relay_checkpoints WHERE relay = ?",
        )
        .bind(relay)
        .fetch_optional(&self.pool)
        .await?;
        to_cursor(stored)
    }

    async fn save_relay_checkpoint(&self, relay: &str, cursor: Cursor) -> Result<(), StoreError> {
        sqlx::query(&sql::save_relay_checkpoint(SQLITE))
            .bind(relay)
            .bind(to_i64(cursor.transaction)?)
            .bind(to_i64(cursor.position)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn read_all(&self, after: Cursor, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM eventwright_events WHERE position > ? ORDER BY position LIMIT ?"
        );
        let rows = sqlx::query(&sql)
            .bind(to_i64(after.position)?)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let envelope = envelope_from_row(row)?;
                // One writer at a time: commit order is position order.
                let cursor = Cursor {
                    transaction: 0,
                    position: envelope.position,
                };
                Ok(LogEntry { cursor, envelope })
            })
            .collect()
    }

    async fn load_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        let sql = "SELECT sequence, state FROM eventwright_snapshots \
                   WHERE aggregate_type = ? AND aggregate_id = ?";
        self.kept_state(sql, "snapshot", aggregate_type, aggregate_id)
            .await
    }

    async fn save_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        snapshot: Snapshot,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO eventwright_snapshots (aggregate_type, aggregate_id, sequence, state) \
             VALUES (?, ?, ?, ?) ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE \
             SET sequence = excluded.sequence, state = excluded.state \
             WHERE excluded.sequence > eventwright_snapshots.sequence",
        )
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(to_i64(snapshot.sequence)?)
        .bind(snapshot.state.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Inserts one aggregate's events in `tx`; a taken sequence is a conflict.
async fn insert_events(
    tx: &mut Transaction<'_, Sqlite>,
    events: Vec<NewEvent>,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let mut stored = Vec::with_capacity(events.len());
    for event in events {
        let inserted = sqlx::query(
            "INSERT INTO eventwright_events (event_id, aggregate_type, aggregate_id, sequence, \
             event_type, event_version, timestamp, correlation_id, causation_id, traceparent, \
             payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING position",
        )
        .bind(event.event_id.to_string())
        .bind(&event.aggregate_type)
        .bind(&event.aggregate_id)
        .bind(to_i64(event.sequence)?)
        .bind(&event.event_type)
        .bind(i64::from(event.event_version))
        .bind(event.timestamp.to_rfc3339_opts(SecondsFormat::Micros, true))
        .bind(&event.metadata.correlation_id)
        .bind(&event.metadata.causation_id)
        .bind(&event.metadata.traceparent)
        .bind(event.payload.to_string())
        .fetch_one(&mut **tx)
        .await;
        let position: i64 = match inserted {
            Ok(row) => row.try_get(0)?,
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                return Err(StoreError::Conflict {
                    aggregate_type: event.aggregate_type,
                    aggregate_id: event.aggregate_id,
                    sequence: event.sequence,
                });
            }
            Err(error) => return Err(error.into()),
        };
        stored.push(EventEnvelope::from_new(event, to_u64(position)?));
    }
    Ok(stored)
}

fn envelope_from_row(row: &SqliteRow) -> Result<EventEnvelope, StoreError> {
    let corrupt = |what: &str, error: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("event {what}: {error}"))
    };
    let event_id: String = row.try_get("event_id")?;
    let timestamp: String = row.try_get("timestamp")?;
    let payload: String = row.try_get("payload")?;
    let event_version: i64 = row.try_get("event_version")?;
    Ok(EventEnvelope {
        event_id: Uuid::parse_str(&event_id).map_err(|e| corrupt("id", &e))?,
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: to_u64(row.try_get("sequence")?)?,
        position: to_u64(row.try_get("position")?)?,
        event_type: row.try_get("event_type")?,
        event_version: u32::try_from(event_version).map_err(|e| corrupt("version", &e))?,
        timestamp: DateTime::parse_from_rfc3339(&timestamp)
            .map_err(|e| corrupt("timestamp", &e))?
            .with_timezone(&Utc),
        metadata: Metadata {
            correlation_id: row.try_get("correlation_id")?,
            causation_id: row.try_get("causation_id")?,
            traceparent: row.try_get("traceparent")?,
        },
        payload: serde_json::from_str(&payload).map_err(|e| corrupt("payload", &e))?,
    })
}
