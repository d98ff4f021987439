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
//!
//! Decisions committed together ([`append_if_many`]) share one transaction when none of them
//! touches a stream another does and none claims or releases a unique value: the turns are
//! taken on all their streams at once, each decision's reads are checked, the ones that moved
//! fail alone, and the others' events go in one insert. Any other failure before the commit
//! sends the group through one transaction each; a failed commit (which may have taken effect)
//! is every member's answer.

use eventwright_tables::sql::Dialect;

use super::backend::{Arg, Backend, Conn, Tx};
use super::{envelopes, move_state_row, moved_past, sent_commands, statements, tags};
use crate::event::EventEnvelope;
use crate::store::integers::to_u64;
use crate::store::{ConditionalAppend, NewState, QueryRead, StoreError, UniqueValue};

pub(super) async fn append_if<B: Backend>(
    db: &B,
    mut append: ConditionalAppend,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let dialect = db.dialect();
    let mut tx = db.begin().await?;
    tx.read_committed().await?;
    take_turns(&mut tx, &[&append]).await?;
    if let Some(moved) = moved_reads(&mut tx, dialect, &[&append])
        .await?
        .pop()
        .flatten()
    {
        return Err(moved);
    }
    for read in &append.queries {
        let now = tags::matching(&mut tx, dialect, &read.query).await?;
        if now != read.matched {
            return Err(query_moved(read));
        }
    }
    for state in &append.states {
        write_state(&mut tx, dialect, &append, state).await?;
    }
    let release = statements::release_unique(dialect);
    // In one order, so that two transactions claiming the same values never wait for each
    // other in a circle.
    let mut releases: Vec<&UniqueValue> = append.releases.iter().collect();
    releases.sort_unstable_by(|a, b| (&a.scope, &a.value).cmp(&(&b.scope, &b.value)));
    for value in releases {
        tx.execute(&release, &unique_args(value)).await?;
    }
    let mut claims: Vec<&UniqueValue> = append.claims.iter().collect();
    claims.sort_unstable_by(|a, b| (&a.scope, &a.value).cmp(&(&b.scope, &b.value)));
    for value in claims {
        claim(&mut tx, dialect, &append, value).await?;
    }
    let events = std::mem::take(&mut append.events);
    let read_version = |aggregate_type: &str, aggregate_id: &str| {
        append.read_version(aggregate_type, aggregate_id)
    };
    let positions = db.insert_events(&mut tx, &events).await?;
    tags::insert_tags(&mut tx, dialect, &events, &positions).await?;
    let stored = envelopes(events, positions)?;
    // After the events, whose positions the records keep.
    sent_commands::record_committed(&mut tx, dialect, &append.commands, &stored, read_version)
        .await?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn append_if_many<B: Backend>(
    db: &B,
    appends: Vec<ConditionalAppend>,
) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
    let mut results: Vec<Option<Result<Vec<EventEnvelope>, StoreError>>> =
        appends.iter().map(|_| None).collect();
    // Which go together: none sharing a stream with another (their reads would not see each
    // other's writes), none with unique values or commands to record (a taken claim or a
    // recorded command would undo the others), none with tags (a query read is checked on
    // its own).
    let mut together = Vec::new();
    let mut alone = Vec::new();
    let mut streams_taken: Vec<(String, String)> = Vec::new();
    for (index, append) in appends.into_iter().enumerate() {
        let streams: Vec<(String, String)> = append
            .streams()
            .into_iter()
            .map(|(aggregate_type, aggregate_id)| {
                (aggregate_type.to_owned(), aggregate_id.to_owned())
            })
            .collect();
        let shares = streams.iter().any(|stream| streams_taken.contains(stream));
        if shares
            || !append.claims.is_empty()
            || !append.releases.is_empty()
            || !append.commands.is_empty()
            || append.is_tagged()
        {
            alone.push((index, append));
        } else {
            streams_taken.extend(streams);
            together.push((index, append));
        }
    }
    if together.len() > 1 {
        let group: Vec<&ConditionalAppend> = together.iter().map(|(_, append)| append).collect();
        match in_one_transaction(db, &group).await {
            Ok(outcomes) => {
                for ((index, _), outcome) in together.drain(..).zip(outcomes) {
                    results[index] = Some(outcome);
                }
            }
            // A failed COMMIT may have committed after all (the connection dropped after the
            // server ran it): appending again could apply a decision twice. Each is answered
            // with the failure, as a lone append's failed commit is.
            Err(GroupFailure::Commit(error)) => {
                for (index, _) in together.drain(..) {
                    results[index] = Some(Err(error.duplicate()));
                }
            }
            Err(GroupFailure::Before(error)) => {
                tracing::debug!(%error, "decisions grouped failed before committing; appending each alone");
            }
        }
    }
    // What is left goes one transaction each: the lone ones, and a group that failed as a
    // whole before committing.
    for (index, append) in together.into_iter().chain(alone) {
        results[index] = Some(append_if(db, append).await);
    }
    results
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| {
                Err(StoreError::Unavailable(
                    "a decision was not appended".to_owned(),
                ))
            })
        })
        .collect()
}

/// Why a group of decisions did not commit together.
enum GroupFailure {
    /// Before its COMMIT: nothing was written, and each may be appended again on its own.
    Before(StoreError),
    /// At its COMMIT, which may or may not have taken effect.
    Commit(StoreError),
}

impl From<StoreError> for GroupFailure {
    fn from(error: StoreError) -> Self {
        Self::Before(error)
    }
}

/// Appends decisions that share no stream in one transaction: the ones whose reads moved fail
/// alone, the others commit together. Any other failure fails the whole group. Never given a
/// tagged append ([`append_if_many`] keeps those apart): it checks no query and writes no tag
/// rows.
async fn in_one_transaction<B: Backend>(
    db: &B,
    group: &[&ConditionalAppend],
) -> Result<Vec<Result<Vec<EventEnvelope>, StoreError>>, GroupFailure> {
    let dialect = db.dialect();
    let mut tx = db.begin().await?;
    tx.read_committed().await?;
    take_turns(&mut tx, group).await?;
    let outcomes = moved_reads(&mut tx, dialect, group).await?;
    let mut events = Vec::new();
    for (append, moved) in group.iter().zip(&outcomes) {
        if moved.is_some() {
            continue;
        }
        for state in &append.states {
            write_state(&mut tx, dialect, append, state).await?;
        }
        events.extend(append.events.iter().cloned());
    }
    let positions = db.insert_events(&mut tx, &events).await?;
    let mut stored = envelopes(events, positions)?.into_iter();
    tx.commit().await.map_err(GroupFailure::Commit)?;
    Ok(group
        .iter()
        .zip(outcomes)
        .map(|(append, moved)| match moved {
            Some(moved) => Err(moved),
            None => Ok(stored.by_ref().take(append.events.len()).collect()),
        })
        .collect())
}

/// Takes a turn on every stream the appends read or append to, and on every tag of a query
/// read or an event appended, each once, in one order.
async fn take_turns<T: Tx>(tx: &mut T, appends: &[&ConditionalAppend]) -> Result<(), StoreError> {
    let mut turns: Vec<String> = appends
        .iter()
        .flat_map(|append| {
            let streams = append
                .streams()
                .into_iter()
                .map(|(aggregate_type, aggregate_id)| {
                    format!("eventwright_stream {aggregate_type} {aggregate_id}")
                });
            let tags = append
                .tags()
                .into_iter()
                .map(|tag| format!("eventwright_tag {tag}"));
            streams.chain(tags).collect::<Vec<_>>()
        })
        .collect();
    turns.sort_unstable();
    turns.dedup();
    tx.lock_all(&turns).await
}

/// The conflict of a query that matches more events than when it was read: reported as a
/// conflict on its tags, since no one stream moved.
fn query_moved(read: &QueryRead) -> StoreError {
    let tags: Vec<&str> = read
        .query
        .tags()
        .into_iter()
        .map(|tag| tag.as_str())
        .collect();
    StoreError::Conflict {
        aggregate_type: "query".to_owned(),
        aggregate_id: tags.join(" "),
        sequence: read.matched + 1,
    }
}

/// For each append, the conflict of the first stream it read that has moved since, or `None`
/// when everything it read stands; all read in one go.
async fn moved_reads<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    appends: &[&ConditionalAppend],
) -> Result<Vec<Option<StoreError>>, StoreError> {
    let read: Vec<(&str, &str)> = appends
        .iter()
        .flat_map(|append| &append.read)
        .map(|read| (read.aggregate_type.as_str(), read.aggregate_id.as_str()))
        .collect();
    let versions = tx.stream_versions(dialect, &read).await?;
    if versions.len() != read.len() {
        return Err(StoreError::Corrupt(format!(
            "asked the versions of {} streams, got {}",
            read.len(),
            versions.len()
        )));
    }
    let mut versions = versions.into_iter();
    let mut outcomes = Vec::with_capacity(appends.len());
    for append in appends {
        let mut moved = None;
        for (read, now) in append.read.iter().zip(versions.by_ref()) {
            if moved.is_none() && to_u64(now)? != read.version {
                moved = Some(moved_past(
                    &read.aggregate_type,
                    &read.aggregate_id,
                    read.version,
                ));
            }
        }
        outcomes.push(moved);
    }
    Ok(outcomes)
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
