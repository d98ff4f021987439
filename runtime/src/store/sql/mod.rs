//! The SQL stores (features `sqlite`, `postgres`): one event store and one read store, written
//! once over what differs between the databases: the stores are generic over the connection
//! pool (`SqlitePool` or `PgPool`), which says how its database binds and reads values, reads
//! the log in commit order, makes writers take turns, and appends events fastest.
//!
//! Use them through their names for each database: [`SqliteEventStore`] and
//! [`SqliteReadStore`], [`PostgresEventStore`] and [`PostgresReadStore`].
//!
//! [`SqliteEventStore`]: crate::store::sqlite::SqliteEventStore
//! [`SqliteReadStore`]: crate::store::sqlite::SqliteReadStore
//! [`PostgresEventStore`]: crate::store::postgres::PostgresEventStore
//! [`PostgresReadStore`]: crate::store::postgres::PostgresReadStore

mod backend;
mod conditional_append;
mod delivered_batch;
mod event_store;
mod log_batch;
mod read_store;
mod sent_commands;
mod side_tables;
mod statements;
#[cfg(feature = "personal")]
mod subject_keys;
mod tags;
mod workflows;

use eventwright_tables::sql::{AddColumn, Dialect};
use eventwright_tables::{Migration, Step};
use serde_json::Value;

pub use event_store::SqlEventStore;
pub use read_store::SqlReadStore;
#[cfg(feature = "personal")]
pub use subject_keys::SqlSubjectKeys;

pub(crate) use backend::{Arg, Backend, Conn, Rows, SqlRow, Tx, sqlx_connections};
pub(crate) use statements::LogOrder;

use super::StoreError;
use super::integers::to_i64;
use crate::event::{EventEnvelope, NewEvent};

/// Runs `migrations`, then `more`, in one transaction that concurrent preparers of the same
/// tables (`name`) take turns on: `CREATE ... IF NOT EXISTS` alone races when several processes
/// start at once.
async fn migrate<B: Backend>(
    db: &B,
    name: &str,
    migrations: &[Migration],
    more: &[String],
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    tx.lock(name).await?;
    for step in migrations.iter().flat_map(|migration| &migration.steps) {
        match step {
            Step::Sql(sql) => {
                tx.execute(sql, &[]).await?;
            }
            Step::AddColumn { table, column, ty } => {
                match db.dialect().add_column(table, column, ty) {
                    AddColumn::Statement(sql) => {
                        tx.execute(&sql, &[]).await?;
                    }
                    AddColumn::Unless { exists, add } => {
                        let there = tx.fetch_optional(&exists, &[]).await?;
                        if there.map(|row| row.int("present")).transpose()? != Some(1) {
                            tx.execute(&add, &[]).await?;
                        }
                    }
                }
            }
        }
    }
    for sql in more {
        tx.execute(sql, &[]).await?;
    }
    tx.commit().await
}

/// The stored events, from each event's position; the first without one (its sequence was
/// taken) makes it a conflict.
pub(crate) fn envelopes(
    events: Vec<NewEvent>,
    positions: Vec<Option<u64>>,
) -> Result<Vec<EventEnvelope>, StoreError> {
    events
        .into_iter()
        .zip(positions)
        .map(|(event, position)| match position {
            Some(position) => Ok(EventEnvelope::from_new(event, position)),
            None => Err(conflict(&event)),
        })
        .collect()
}

pub(crate) fn conflict(event: &NewEvent) -> StoreError {
    StoreError::Conflict {
        aggregate_type: event.aggregate_type.clone(),
        aggregate_id: event.aggregate_id.clone(),
        sequence: event.sequence,
    }
}

/// The `n`th parameter of a statement, JSON text, as a column keeps JSON.
fn json_parameter(dialect: Dialect, n: usize) -> String {
    match dialect {
        Dialect::Sqlite => dialect.placeholder(n),
        Dialect::Postgres => format!("CAST({} AS JSONB)", dialect.placeholder(n)),
    }
}

/// A JSON column, read as text.
fn json_as_text(dialect: Dialect, column: &str) -> String {
    match dialect {
        Dialect::Sqlite => column.to_owned(),
        Dialect::Postgres => format!("CAST({column} AS TEXT)"),
    }
}

/// The conflict of a stream that has moved past `version`, the version a writer read.
fn moved_past(aggregate_type: &str, aggregate_id: &str, version: u64) -> StoreError {
    StoreError::Conflict {
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        sequence: version + 1,
    }
}

/// [`Backend::commit_state`] in a transaction: the state row first, so the transaction takes
/// the write lock before it reads anything and cannot fail later on a stale read, then the
/// events.
async fn commit_state_in_steps<B: Backend>(
    db: &B,
    expected_version: u64,
    state: Value,
    events: Vec<NewEvent>,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let Some(last) = events.last() else {
        return Ok(Vec::new());
    };
    let mut tx = db.begin_writing().await?;
    move_state_row(
        &mut tx,
        db.dialect(),
        (&last.aggregate_type, &last.aggregate_id),
        expected_version,
        last.sequence,
        &state,
    )
    .await?;
    let positions = db.insert_events(&mut tx, &events).await?;
    tags::insert_tags(&mut tx, db.dialect(), &events, &positions).await?;
    let stored = envelopes(events, positions)?;
    tx.commit().await?;
    Ok(stored)
}

/// Moves a state-stored aggregate's row from version `expected` (0: it has no row yet) to
/// `version`, in `tx`; a [`StoreError::Conflict`] when the row was not at `expected`.
async fn move_state_row<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    (aggregate_type, aggregate_id): (&str, &str),
    expected: u64,
    version: u64,
    state: &Value,
) -> Result<(), StoreError> {
    let (kind, id, version, state) = (
        Arg::Text(aggregate_type),
        Arg::Text(aggregate_id),
        Arg::Int(to_i64(version)?),
        Arg::Json(state),
    );
    let written = if expected == 0 {
        let sql = statements::insert_state(dialect);
        tx.execute(&sql, &[kind, id, version, state]).await?
    } else {
        let sql = statements::update_state(dialect);
        let from = Arg::Int(to_i64(expected)?);
        tx.execute(&sql, &[kind, id, version, state, from]).await?
    };
    if written == 0 {
        return Err(moved_past(aggregate_type, aggregate_id, expected));
    }
    Ok(())
}
