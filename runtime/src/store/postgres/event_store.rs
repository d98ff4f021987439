use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgPool, Postgres, Row as _};

use super::read_store::POSTGRES;
use crate::event::{EventEnvelope, Metadata, NewEvent};
use crate::store::sql::{self, to_cursor, to_i64, to_u64};
use crate::store::{Cursor, EventStore, LogEntry, Snapshot, StoreError};

/// Events in one PostgreSQL table; each event-sourced aggregate's newest snapshot, each
/// state-stored aggregate's state and each relay's checkpoint in tables of their own.
///
/// Positions come from an identity column, and PostgreSQL hands those out before commit, so a
/// later position can become visible before an earlier one. Each event therefore also records
/// the id of the transaction that wrote it, and the log is read in (transaction, position) order,
/// only up to the oldest transaction still running: every transaction below that horizon has
/// finished, so nothing can appear behind a reader afterwards.
#[derive(Debug, Clone)]
pub struct PostgresEventStore {
    pool: PgPool,
}

impl PostgresEventStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// A snapshot or state row: `sql` selects its sequence and its JSON for one aggregate.
    async fn kept_state(
        &self,
        sql: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        let stored: Option<(i64, Value)> = sqlx::query_as(sql)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .fetch_optional(&self.pool)
            .await?;
        stored
            .map(|(sequence, state)| {
                Ok(Snapshot {
                    sequence: to_u64(sequence)?,
                    state,
                })
            })
            .transpose()
    }
}

const SCHEMA: [&str; 6] = [
    "CREATE TABLE IF NOT EXISTS eventwright_events (
        position       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id XID8        NOT NULL DEFAULT pg_current_xact_id(),
        event_id       UUID        NOT NULL UNIQUE,
        aggregate_type TEXT        NOT NULL,
        aggregate_id   TEXT        NOT NULL,
        sequence       BIGINT      NOT NULL,
        event_type     TEXT        NOT NULL,
        event_version  INTEGER     NOT NULL,
        timestamp      TIMESTAMPTZ NOT NULL,
        correlation_id TEXT,
        causation_id   TEXT,
        payload        JSONB       NOT NULL,
        UNIQUE (aggregate_type, aggregate_id, sequence)
    )",
    // Added after the table's first release, to new and old tables alike. Looked up first: an
    // ALTER TABLE locks out readers and writers even when it has nothing to do, and this runs
    // at every start of a service.
    "DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema()
                         AND table_name = 'eventwright_events' AND column_name = 'traceparent')
        THEN
            ALTER TABLE eventwright_events ADD COLUMN traceparent TEXT;
        END IF;
    END $$",
    "CREATE INDEX IF NOT EXISTS eventwright_events_log
        ON eventwright_events (transaction_id, position)",
    "CREATE TABLE IF NOT EXISTS eventwright_snapshots (
        aggregate_type TEXT   NOT NULL,
        aggregate_id   TEXT   NOT NULL,
        sequence       BIGINT NOT NULL,
        state          JSONB  NOT NULL,
        PRIMARY KEY (aggregate_type, aggregate_id)
    )",
    "CREATE TABLE IF NOT EXISTS eventwright_states (
        aggregate_type TEXT   NOT NULL,
        aggregate_id   TEXT   NOT NULL,
        version        BIGINT NOT NULL,
        state          JSONB  NOT NULL,
        PRIMARY KEY (aggregate_type, aggregate_id)
    )",
    "CREATE TABLE IF NOT EXISTS eventwright_relay_checkpoints (
        relay          TEXT   PRIMARY KEY,
        transaction_id BIGINT NOT NULL,
        position       BIGINT NOT NULL
    )",
];

/// Inserts the events bound by [`bind_events`] as parameters 1 to 11.
const INSERT_EVENTS: &str = "INSERT INTO eventwright_events (event_id, aggregate_type, \
    aggregate_id, sequence, event_type, event_version, timestamp, correlation_id, causation_id, \
    traceparent, payload) SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], \
    $4::bigint[], $5::text[], $6::int[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], \
    $11::jsonb[])";

// The text form of the transaction id gets a name of its own: an output column named
// `transaction_id` would be what `ORDER BY transaction_id` sorts by, and text sorts "1000" before
// "999", which would skip events whenever transaction ids gain a digit.
const COLUMNS: &str = "transaction_id::text AS transaction_text, position, event_id, aggregate_type, \
                       aggregate_id, sequence, event_type, event_version, timestamp, \
                       correlation_id, causation_id, traceparent, payload";

impl PostgresEventStore {
    /// Every group's events in one statement and one transaction. A group with a taken
    /// sequence is left out whole: its rows that did go in are deleted again before the commit.
    async fn append_groups(&self, groups: Vec<Vec<NewEvent>>) -> sql::GroupResults {
        let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
        let all: Vec<NewEvent> = groups.into_iter().flatten().collect();
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "{INSERT_EVENTS} ON CONFLICT DO NOTHING \
             RETURNING aggregate_type, aggregate_id, sequence, position"
        );
        let rows = bind_events(sqlx::query(&sql), &all)?
            .fetch_all(&mut *tx)
            .await?;
        let mut positions = std::collections::HashMap::with_capacity(rows.len());
        for row in &rows {
            let key: (String, String, i64) = (
                row.try_get("aggregate_type")?,
                row.try_get("aggregate_id")?,
                row.try_get("sequence")?,
            );
            positions.insert(key, to_u64(row.try_get("position")?)?);
        }
        let mut events = all.into_iter();
        let mut results = Vec::with_capacity(sizes.len());
        let mut undo: Vec<i64> = Vec::new();
        for size in sizes {
            let group: Vec<NewEvent> = events.by_ref().take(size).collect();
            let mut found = Vec::with_capacity(size);
            for event in &group {
                let key = (
                    event.aggregate_type.clone(),
                    event.aggregate_id.clone(),
                    to_i64(event.sequence)?,
                );
                found.push(positions.get(&key).copied());
            }
            if found.iter().all(Option::is_some) {
                let stored = group
                    .into_iter()
                    .zip(found)
                    .map(|(event, position)| {
                        EventEnvelope::from_new(event, position.expect("all found"))
                    })
                    .collect();
                results.push(Ok(stored));
            } else {
                for position in found.into_iter().flatten() {
                    undo.push(to_i64(position)?);
                }
                let first = &group[0];
                results.push(Err(StoreError::Conflict {
                    aggregate_type: first.aggregate_type.clone(),
                    aggregate_id: first.aggregate_id.clone(),
                    sequence: first.sequence,
                }));
            }
        }
        if !undo.is_empty() {
            sqlx::query("DELETE FROM eventwright_events WHERE position = ANY($1)")
                .bind(undo)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(results)
    }
}

#[async_trait]
impl EventStore for PostgresEventStore {
    async fn prepare(&self) -> Result<(), StoreError> {
        prepare_schema(&self.pool, "eventwright_events", &SCHEMA).await
    }

    async fn load(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM eventwright_events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3 ORDER BY sequence"
        );
        let rows = sqlx::query(&sql)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(to_i64(after_sequence)?)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| entry_from_row(row).map(|entry| entry.envelope))
            .collect()
    }

    async fn cursor_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: u64,
    ) -> Result<Option<Cursor>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM eventwright_events \
             WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3"
        );
        let row = sqlx::query(&sql)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(to_i64(sequence)?)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| entry_from_row(&row).map(|entry| entry.cursor))
            .transpose()
    }

    async fn count_after(&self, after: Cursor) -> Result<u64, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM eventwright_events \
             WHERE (transaction_id, position) > ($1::text::xid8, $2)",
        )
        .bind(after.transaction.to_string())
        .bind(to_i64(after.position)?)
        .fetch_one(&self.pool)
        .await?;
        to_u64(count)
    }

    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<EventEnvelope>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // One statement for the whole batch: atomic without an explicit transaction, and one
        // round trip however many events a command records.
        let sql = format!("{INSERT_EVENTS} RETURNING sequence, position");
        let inserted = bind_events(sqlx::query(&sql), &events)?
            .fetch_all(&self.pool)
            .await;
        with_positions(events, inserted)
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
                   WHERE aggregate_type = $1 AND aggregate_id = $2";
        self.kept_state(sql, aggregate_type, aggregate_id).await
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
        // The state change and the events in one statement: the events are inserted only when
        // the state row moved from the expected version, and both commit or neither does.
        // Parameters 1 to 11 are the events' (`bind_events`).
        let write_state = if expected_version == 0 {
            "INSERT INTO eventwright_states (aggregate_type, aggregate_id, version, state) \
             VALUES ($12, $13, $14, $15) ON CONFLICT DO NOTHING RETURNING 1"
        } else {
            "UPDATE eventwright_states SET version = $14, state = $15 \
             WHERE aggregate_type = $12 AND aggregate_id = $13 AND version = $16 RETURNING 1"
        };
        let sql = format!(
            "WITH state AS ({write_state}) {INSERT_EVENTS} WHERE EXISTS (SELECT 1 FROM state) \
             RETURNING sequence, position"
        );
        let mut query = bind_events(sqlx::query(&sql), &events)?
            .bind(last.aggregate_type.clone())
            .bind(last.aggregate_id.clone())
            .bind(to_i64(last.sequence)?)
            .bind(state);
        if expected_version > 0 {
            query = query.bind(to_i64(expected_version)?);
        }
        let inserted = query.fetch_all(&self.pool).await;
        with_positions(events, inserted)
    }

    async fn relay_checkpoint(&self, relay: &str) -> Result<Cursor, StoreError> {
        let stored: Option<(i64, i64)> = sqlx::query_as(
            "SELECT transaction_id, position FROM eventwright_relay_checkpoints WHERE relay = $1",
        )
        .bind(relay)
        .fetch_optional(&self.pool)
        .await?;
        to_cursor(stored)
    }

    async fn save_relay_checkpoint(&self, relay: &str, cursor: Cursor) -> Result<(), StoreError> {
        sqlx::query(&sql::save_relay_checkpoint(POSTGRES))
            .bind(relay)
            .bind(to_i64(cursor.transaction)?)
            .bind(to_i64(cursor.position)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn read_all(&self, after: Cursor, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM eventwright_events \
             WHERE (transaction_id, position) > ($1::text::xid8, $2) \
               AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY transaction_id, position LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(after.transaction.to_string())
            .bind(to_i64(after.position)?)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    async fn load_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        let sql = "SELECT sequence, state FROM eventwright_snapshots \
                   WHERE aggregate_type = $1 AND aggregate_id = $2";
        self.kept_state(sql, aggregate_type, aggregate_id).await
    }

    async fn save_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        snapshot: Snapshot,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO eventwright_snapshots (aggregate_type, aggregate_id, sequence, state) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE \
             SET sequence = excluded.sequence, state = excluded.state \
             WHERE excluded.sequence > eventwright_snapshots.sequence",
        )
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(to_i64(snapshot.sequence)?)
        .bind(snapshot.state)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

/// Creates tables under an advisory lock: `CREATE ... IF NOT EXISTS` alone races when several
/// processes start at once.
pub(super) async fn prepare_schema(
    pool: &PgPool,
    name: &str,
    statements: &[&str],
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    for statement in statements {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Binds `events` column by column, as the arrays [`INSERT_EVENTS`] unnests.
fn bind_events<'q>(
    query: Query<'q, Postgres, PgArguments>,
    events: &[NewEvent],
) -> Result<Query<'q, Postgres, PgArguments>, StoreError> {
    fn column<T>(events: &[NewEvent], field: impl Fn(&NewEvent) -> T) -> Vec<T> {
        events.iter().map(field).collect()
    }
    let sequences = events
        .iter()
        .map(|e| to_i64(e.sequence))
        .collect::<Result<Vec<i64>, _>>()?;
    let versions = events
        .iter()
        .map(|e| {
            i32::try_from(e.event_version)
                .map_err(|_| StoreError::Corrupt(format!("event version {}", e.event_version)))
        })
        .collect::<Result<Vec<i32>, _>>()?;
    Ok(query
        .bind(column(events, |e| e.event_id))
        .bind(column(events, |e| e.aggregate_type.clone()))
        .bind(column(events, |e| e.aggregate_id.clone()))
        .bind(sequences)
        .bind(column(events, |e| e.event_type.clone()))
        .bind(versions)
        .bind(column::<DateTime<Utc>>(events, |e| e.timestamp))
        .bind(column(events, |e| e.metadata.correlation_id.clone()))
        .bind(column(events, |e| e.metadata.causation_id.clone()))
        .bind(column(events, |e| e.metadata.traceparent.clone()))
        .bind(column::<Value>(events, |e| e.payload.clone())))
}

/// The envelopes of `events` from what inserting them returned: a taken sequence, or no rows at
/// all (the state row was not at the expected version), is a conflict.
fn with_positions(
    events: Vec<NewEvent>,
    inserted: Result<Vec<PgRow>, sqlx::Error>,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let conflict = |event: &NewEvent| StoreError::Conflict {
        aggregate_type: event.aggregate_type.clone(),
        aggregate_id: event.aggregate_id.clone(),
        sequence: event.sequence,
    };
    let rows = match inserted {
        Ok(rows) if rows.is_empty() && !events.is_empty() => return Err(conflict(&events[0])),
        Ok(rows) => rows,
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(events
                .first()
                .map_or_else(|| StoreError::Corrupt(error.to_string()), conflict));
        }
        Err(error) => return Err(error.into()),
    };
    let mut positions = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        positions.insert(
            row.try_get::<i64, _>("sequence")?,
            to_u64(row.try_get("position")?)?,
        );
    }
    events
        .into_iter()
        .map(|event| {
            let position = positions
                .get(&to_i64(event.sequence)?)
                .copied()
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "no position returned for sequence {}",
                        event.sequence
                    ))
                })?;
            Ok(EventEnvelope::from_new(event, position))
        })
        .collect()
}

fn entry_from_row(row: &PgRow) -> Result<LogEntry, StoreError> {
    let corrupt = |what: &str, error: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("event {what}: {error}"))
    };
    let transaction: String = row.try_get("transaction_text")?;
    let event_version: i32 = row.try_get("event_version")?;
    let envelope = EventEnvelope {
        event_id: row.try_get("event_id")?,
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: to_u64(row.try_get("sequence")?)?,
        position: to_u64(row.try_get("position")?)?,
        event_type: row.try_get("event_type")?,
        event_version: u32::try_from(event_version).map_err(|e| corrupt("version", &e))?,
        timestamp: row.try_get("timestamp")?,
        metadata: Metadata {
            correlation_id: row.try_get("correlation_id")?,
            causation_id: row.try_get("causation_id")?,
            traceparent: row.try_get("traceparent")?,
        },
        payload: row.try_get("payload")?,
    };
    let cursor = Cursor {
        transaction: transaction
            .parse()
            .map_err(|e| corrupt("transaction id", &e))?,
        position: envelope.position,
    };
    Ok(LogEntry { cursor, envelope })
}
