//! [`EventStore::append_if`](crate::store::EventStore::append_if) on a SQL database.
//!
//! One transaction takes a turn on every stream the decision read or appends to, in one order
//! (so two decisions never wait on each other in a circle), checks that each stream read is
//! still at the version read, moves the state rows, releases and claims unique values, and
//! appends the events. Taking turns is what keeps two decisions from each reading what the
//! other is about to change (two withdrawals under one shared limit, each reading the other's
//! account); SQLite's one writer already takes turns for the whole transaction, PostgreSQL
//! takes an advisory lock per stream. A claim is a row under a primary key, inserted in the
//! same transaction: of two claims of one value, the second waits for the first and finds it
//! taken.

use eventwright_tables::sql::Dialect;

use super::backend::{Arg, Backend, Conn, Tx};
use super::{envelopes, move_state_row, moved_past, statements};
use crate::event::EventEnvelope;
use crate::store::integers::to_u64;
use crate::store::{ConditionalAppend, NewState, StoreError, UniqueValue};

pub(super) async fn append_if<B: Backend>(
    db: &B,
    append: ConditionalAppend,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let dialect = db.dialect();
    let mut tx = db.begin().await?;
    for (aggregate_type, aggregate_id) in append.streams() {
        tx.lock(&format!(
            "eventwright_stream {aggregate_type} {aggregate_id}"
        ))
        .await?;
    }
    let version = statements::stream_version(dialect);
    for read in &append.read {
        let args = [
            Arg::Text(&read.aggregate_type),
            Arg::Text(&read.aggregate_id),
        ];
        let row = tx.fetch_optional(&version, &args).await?;
        let now = row.map(|row| row.int("version")).transpose()?.unwrap_or(0);
        if to_u64(now)? != read.version {
            return Err(moved_past(
                &read.aggregate_type,
                &read.aggregate_id,
                read.version,
            ));
        }
    }
    for state in &append.states {
        write_state(&mut tx, dialect, &append, state).await?;
    }
    let release = statements::release_unique(dialect);
    for value in &append.releases {
        tx.execute(&release, &unique_args(value)).await?;
    }
    for value in &append.claims {
        claim(&mut tx, dialect, &append, value).await?;
    }
    let positions = db.insert_events(&mut tx, &append.events).await?;
    let stored = envelopes(append.events, positions)?;
    tx.commit().await?;
    Ok(stored)
}

/// Moves a state-stored aggregate's row from the version read to its last event's sequence;
/// leaves it be when no event was appended to it.
async fn write_state<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    append: &ConditionalAppend,
    state: &NewState,
) -> Result<(), StoreError> {
    let Some(version) = append.new_version(state) else {
        return Ok(());
    };
    let expected = append.read_version(&state.aggregate_type, &state.aggregate_id);
    let stream = (state.aggregate_type.as_str(), state.aggregate_id.as_str());
    move_state_row(tx, dialect, stream, expected, version, &state.state).await
}

/// Takes `value` for its aggregate; holding it already is no error.
async fn claim<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    append: &ConditionalAppend,
    value: &UniqueValue,
) -> Result<(), StoreError> {
    let args = unique_args(value);
    if tx
        .execute(&statements::claim_unique(dialect), &args)
        .await?
        > 0
    {
        return Ok(());
    }
    let holder = tx
        .fetch_optional(&statements::unique_holder(dialect), &args[..2])
        .await?;
    let Some(holder) = holder else {
        // Released by a transaction that committed between the two statements: deciding
        // again finds it free.
        let read = append.read_version(&value.aggregate_type, &value.aggregate_id);
        return Err(moved_past(&value.aggregate_type, &value.aggregate_id, read));
    };
    let (holder_type, holder_id) = (holder.text("aggregate_type")?, holder.text("aggregate_id")?);
    if holder_type == value.aggregate_type && holder_id == value.aggregate_id {
        return Ok(());
    }
    Err(StoreError::Taken {
        scope: value.scope.clone(),
        value: value.value.clone(),
        holder_type,
        holder_id,
    })
}

/// The parameters of the unique-value statements: scope, value, type, id.
fn unique_args(value: &UniqueValue) -> [Arg<'_>; 4] {
    [
        Arg::Text(&value.scope),
        Arg::Text(&value.value),
        Arg::Text(&value.aggregate_type),
        Arg::Text(&value.aggregate_id),
    ]
}
