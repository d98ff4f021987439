//! PostgreSQL's side of the SQL stores: the log read in commit-safe order, advisory locks, and
//! events written in one statement.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use eventwright_tables::sql::Dialect;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Row as _};

use super::values::{PgQuery, query, rows};
use crate::event::{EventEnvelope, NewEvent};
use crate::store::StoreError;
use crate::store::integers::{to_i64, to_u64};
use crate::store::sql::{Backend, LogOrder, Tx, conflict, sqlx_connections};

/// Positions come from an identity column, handed out before commit, so each event records the
/// id of its transaction and the log is read in (transaction, position) order, only below the
/// oldest transaction still running: nothing can then commit behind a reader.
///
/// The transaction id is selected as text under a name of its own: an output column named
/// `transaction_id` would be what `ORDER BY transaction_id` sorts by, and text sorts "1000"
/// before "999", which would skip events whenever transaction ids gain a digit.
const LOG: LogOrder = LogOrder {
    transaction: "transaction_id::text",
    after: "(transaction_id, position) > ($1::text::xid8, $2)",
    settled: Some("transaction_id < pg_snapshot_xmin(pg_current_snapshot())"),
    order: "transaction_id, position",
};

/// Inserts the events bound by [`bind_events`] as parameters 1 to 12.
const INSERT_EVENTS: &str = "INSERT INTO eventwright_events (event_id, aggregate_type, \
    aggregate_id, sequence, event_type, event_version, timestamp, correlation_id, causation_id, \
    traceparent, actor, payload) SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], \
    $4::bigint[], $5::text[], $6::int[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], \
    $11::text[], $12::jsonb[])";

/// Inserts the one event bound by [`bind_events`] as parameters 1 to 12. Most commands record
/// one event, and the server plans and reads scalars faster than arrays to unnest: on a quiet
/// service that is a tenth of the command's time.
const INSERT_EVENT: &str = "INSERT INTO eventwright_events (event_id, aggregate_type, \
    aggregate_id, sequence, event_type, event_version, timestamp, correlation_id, causation_id, \
    traceparent, actor, payload) SELECT $1::uuid, $2::text, $3::text, $4::bigint, $5::text, \
    $6::int, $7::timestamptz, $8::text, $9::text, $10::text, $11::text, $12::jsonb";

/// The statement inserting `events` as [`bind_events`] binds them; a `WHERE` may follow it.
fn insert_events(events: &[NewEvent]) -> &'static str {
    if let [_] = events {
        INSERT_EVENT
    } else {
        INSERT_EVENTS
    }
}

#[async_trait]
impl Backend for PgPool {
    type Pool<'a> = OnPool<'a>;
    type Tx = PgTx;

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn log_order(&self) -> &'static LogOrder {
        &LOG
    }

    fn pool(&self) -> OnPool<'_> {
        OnPool(self)
    }

    async fn begin(&self) -> Result<PgTx, StoreError> {
        Ok(PgTx(PgPool::begin(self).await?))
    }

    /// Every event in one statement, each unless its sequence is taken.
    async fn insert_events(
        &self,
        tx: &mut PgTx,
        events: &[NewEvent],
    ) -> Result<Vec<Option<u64>>, StoreError> {
        let sql = format!(
            "{} ON CONFLICT (aggregate_type, aggregate_id, sequence) DO NOTHING \
             RETURNING aggregate_type, aggregate_id, sequence, position",
            insert_events(events)
        );
        let inserted = bind_events(sqlx::query(&sql), events)?
            .fetch_all(&mut *tx.0)
            .await?;
        let mut positions = HashMap::with_capacity(inserted.len());
        for row in &inserted {
            let key: (String, String, i64) = (
                row.try_get("aggregate_type")?,
                row.try_get("aggregate_id")?,
                row.try_get("sequence")?,
            );
            positions.insert(key, to_u64(row.try_get("position")?)?);
        }
        events
            .iter()
            .map(|event| {
                let key = (
                    event.aggregate_type.clone(),
                    event.aggregate_id.clone(),
                    to_i64(event.sequence)?,
                );
                Ok(positions.get(&key).copied())
            })
            .collect()
    }

    /// One statement, without a transaction around it: atomic as it is, and one round trip
    /// however many events a command records.
    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<EventEnvelope>, StoreError> {
        let sql = format!("{} RETURNING sequence, position", insert_events(&events));
        let inserted = bind_events(sqlx::query(&sql), &events)?
            .fetch_all(self)
            .await;
        with_positions(events, inserted)
    }

    /// The state change and the events in one statement: the events are inserted only when
    /// the state row moved from the expected version, and both commit or neither does.
    async fn commit_state(
        &self,
        expected_version: u64,
        state: Value,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let Some(last) = events.last() else {
            return Ok(Vec::new());
        };
        // Parameters 1 to 12 are the events' (`bind_events`).
        let write_state = if expected_version == 0 {
            "INSERT INTO eventwright_states (aggregate_type, aggregate_id, version, state) \
             VALUES ($13, $14, $15, $16) ON CONFLICT DO NOTHING RETURNING 1"
        } else {
            "UPDATE eventwright_states SET version = $15, state = $16 \
             WHERE aggregate_type = $13 AND aggregate_id = $14 AND version = $17 RETURNING 1"
        };
        let sql = format!(
            "WITH state AS ({write_state}) {} WHERE EXISTS (SELECT 1 FROM state) \
             RETURNING sequence, position",
            insert_events(&events)
        );
        let mut query = bind_events(sqlx::query(&sql), &events)?
            .bind(last.aggregate_type.clone())
            .bind(last.aggregate_id.clone())
            .bind(to_i64(last.sequence)?)
            .bind(state);
        if expected_version > 0 {
            query = query.bind(to_i64(expected_version)?);
        }
        let inserted = query.fetch_all(self).await;
        with_positions(events, inserted)
    }
}

sqlx_connections!(OnPool(&PgPool), PgTx(Postgres), query, rows);

#[async_trait]
impl Tx for PgTx {
    async fn read_committed(&mut self) -> Result<(), StoreError> {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    // Advisory locks are the database's, not a schema's: named within the schema, stores of
    // different schemas (tenants, tests) never wait for each other's streams and rows.
    async fn lock(&mut self, name: &str) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended(coalesce(current_schema(), '') || ' ' || $1, 0))")
            .bind(name)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn lock_all(&mut self, names: &[String]) -> Result<(), StoreError> {
        // Rows of an unnested array come in the array's order, and so do the locks.
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtextextended(coalesce(current_schema(), '') || ' ' || name, 0)) \
             FROM unnest($1::text[]) WITH ORDINALITY AS stream(name, n) ORDER BY n",
        )
        .bind(names)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn stream_versions(
        &mut self,
        _: Dialect,
        streams: &[(&str, &str)],
    ) -> Result<Vec<i64>, StoreError> {
        let (types, ids): (Vec<&str>, Vec<&str>) = streams.iter().copied().unzip();
        let versions: Vec<(i64,)> = sqlx::query_as(
            "SELECT COALESCE((SELECT MAX(sequence) FROM eventwright_events AS event \
             WHERE event.aggregate_type = stream.aggregate_type \
             AND event.aggregate_id = stream.aggregate_id), 0) \
             FROM unnest($1::text[], $2::text[]) WITH ORDINALITY \
             AS stream(aggregate_type, aggregate_id, n) ORDER BY n",
        )
        .bind(types)
        .bind(ids)
        .fetch_all(&mut *self.0)
        .await?;
        Ok(versions.into_iter().map(|(version,)| version).collect())
    }

    async fn commit(self) -> Result<(), StoreError> {
        Ok(self.0.commit().await?)
    }
}

/// Binds `events` column by column, as the arrays [`INSERT_EVENTS`] unnests, or one event's
/// fields, as [`INSERT_EVENT`] reads them.
fn bind_events<'q>(query: PgQuery<'q>, events: &[NewEvent]) -> Result<PgQuery<'q>, StoreError> {
    if let [event] = events {
        return bind_event(query, event);
    }
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
        .bind(column(events, |e| e.metadata.actor.clone()))
        .bind(column::<Value>(events, |e| e.payload.clone())))
}

fn bind_event<'q>(query: PgQuery<'q>, event: &NewEvent) -> Result<PgQuery<'q>, StoreError> {
    let version = i32::try_from(event.event_version)
        .map_err(|_| StoreError::Corrupt(format!("event version {}", event.event_version)))?;
    Ok(query
        .bind(event.event_id)
        .bind(event.aggregate_type.clone())
        .bind(event.aggregate_id.clone())
        .bind(to_i64(event.sequence)?)
        .bind(event.event_type.clone())
        .bind(version)
        .bind(event.timestamp)
        .bind(event.metadata.correlation_id.clone())
        .bind(event.metadata.causation_id.clone())
        .bind(event.metadata.traceparent.clone())
        .bind(event.metadata.actor.clone())
        .bind(event.payload.clone()))
}

/// The envelopes of `events` from what inserting them returned: a taken sequence, or no rows at
/// all (the state row was not at the expected version), is a conflict.
fn with_positions(
    events: Vec<NewEvent>,
    inserted: Result<Vec<PgRow>, sqlx::Error>,
) -> Result<Vec<EventEnvelope>, StoreError> {
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
