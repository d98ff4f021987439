//! Tagged events on a SQL database: their tag rows, written in the events' transaction, and
//! the events an [`EventQuery`] matches.
//!
//! Each tag of an event is a row of `eventwright_event_tags` under (tag, position), with the
//! event's aggregate type and name beside it: an event query looks events up by tag there,
//! and the check at a decision's append ([`matching`]) reads nothing else.

use eventwright_tables::sql::Dialect;
use serde_json::Value;

use std::collections::BTreeMap;

use super::backend::{Arg, Backend, Conn, Tx};
use super::statements::{self, LogOrder};
use crate::event::{EventEnvelope, NewEvent};
use crate::store::StoreError;
use crate::store::integers::{to_i64, to_u64};
use crate::tag::{EventQuery, Tag};

/// Whether any of `events` carries a tag: only then is there a row to write.
pub(super) fn any_tagged(events: &[NewEvent]) -> bool {
    events.iter().any(|event| !event.tags.is_empty())
}

/// Writes the tag rows of the events that were inserted, at their positions; `None` (an event
/// that was not inserted) writes nothing.
pub(super) async fn insert_tags<C: Conn>(
    conn: &mut C,
    dialect: Dialect,
    events: &[NewEvent],
    positions: &[Option<u64>],
) -> Result<(), StoreError> {
    if !any_tagged(events) {
        return Ok(());
    }
    let sql = statements::insert_tag(dialect);
    for (event, position) in events.iter().zip(positions) {
        let Some(position) = position else { continue };
        for tag in &event.tags {
            let args = [
                Arg::Text(tag.as_str()),
                Arg::Int(to_i64(*position)?),
                Arg::Text(&event.aggregate_type),
                Arg::Text(&event.event_type),
            ];
            conn.execute(&sql, &args).await?;
        }
    }
    Ok(())
}

/// [`EventStore::append`](crate::store::EventStore::append) of events some of which carry
/// tags: in a transaction, so that the tag rows commit with the events.
pub(super) async fn append_tagged<B: Backend>(
    db: &B,
    events: Vec<NewEvent>,
) -> Result<Vec<EventEnvelope>, StoreError> {
    let mut tx = db.begin_writing().await?;
    let positions = db.insert_events(&mut tx, &events).await?;
    insert_tags(&mut tx, db.dialect(), &events, &positions).await?;
    let stored = super::envelopes(events, positions)?;
    tx.commit().await?;
    Ok(stored)
}

/// The query's tags as the statements bind them: a JSON array.
fn tag_list(query: &EventQuery) -> Value {
    Value::Array(
        query
            .tags()
            .into_iter()
            .map(|tag| Value::String(tag.as_str().to_owned()))
            .collect(),
    )
}

/// Every event matching `query`, in log position order.
pub(super) async fn read_matching<C: Conn>(
    conn: &mut C,
    dialect: Dialect,
    log: &LogOrder,
    query: &EventQuery,
) -> Result<Vec<EventEnvelope>, StoreError> {
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let tags = tag_list(query);
    let rows = conn
        .fetch_all(
            &statements::tagged_events(dialect, log),
            &[Arg::Json(&tags)],
        )
        .await?;
    // One row per tag among the query's, so an event's rows come together (ordered by
    // position): gather its tags, then match.
    let mut matching = Vec::new();
    let mut current: Option<(EventEnvelope, Vec<Tag>)> = None;
    for row in &rows {
        let position = to_u64(row.int("position")?)?;
        let tag = Tag::from_stored(row.text("tag")?);
        match &mut current {
            Some((event, tags)) if event.position == position => tags.push(tag),
            _ => {
                if let Some((event, tags)) = current.take() {
                    keep_if_matching(query, event, &tags, &mut matching);
                }
                current = Some((super::event_store::entry(row.as_ref())?.envelope, vec![tag]));
            }
        }
    }
    if let Some((event, tags)) = current {
        keep_if_matching(query, event, &tags, &mut matching);
    }
    Ok(matching)
}

fn keep_if_matching(
    query: &EventQuery,
    event: EventEnvelope,
    tags: &[Tag],
    matching: &mut Vec<EventEnvelope>,
) {
    if query.matches(&event.aggregate_type, &event.event_type, tags) {
        matching.push(event);
    }
}

/// How many events match `query` now: what a decision's append compares with the count it
/// read, inside the transaction that holds a turn on each of the query's tags.
pub(super) async fn matching<C: Conn>(
    conn: &mut C,
    dialect: Dialect,
    query: &EventQuery,
) -> Result<u64, StoreError> {
    if query.is_empty() {
        return Ok(0);
    }
    let tags = tag_list(query);
    let rows = conn
        .fetch_all(&statements::tags_in(dialect), &[Arg::Json(&tags)])
        .await?;
    // Each event's tags among the query's, by position.
    let mut events: BTreeMap<i64, (String, String, Vec<Tag>)> = BTreeMap::new();
    for row in &rows {
        let tag = Tag::from_stored(row.text("tag")?);
        match events.entry(row.int("position")?) {
            std::collections::btree_map::Entry::Occupied(mut event) => event.get_mut().2.push(tag),
            std::collections::btree_map::Entry::Vacant(event) => {
                event.insert((
                    row.text("aggregate_type")?,
                    row.text("event_type")?,
                    vec![tag],
                ));
            }
        }
    }
    let matched = events
        .values()
        .filter(|(aggregate_type, event_type, tags)| {
            query.matches(aggregate_type, event_type, tags)
        })
        .count();
    Ok(matched as u64)
}
