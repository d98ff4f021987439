//! Read-your-writes: the token a command answers with, and how a read waits until a projection
//! has caught up with it.
//!
//! A token names an aggregate and its version after the command. A projection has caught up with
//! it once it has handled every event of that aggregate up to that version that it consumes:
//! - fed from the log in process, when its checkpoint is at or past the event's place in the log;
//! - fed by a partitioned broker, which keeps each aggregate's events in order but interleaves
//!   aggregates, when the last sequence of that aggregate it handled (its
//!   [progress](crate::store::ReadStore::progress)) reaches the last event up to the version
//!   that it consumes. Events it does not consume leave no mark; the event store says which
//!   those are.
//!
//! Either test alone proves the projection has caught up, so a reader need not know how the
//! projection is fed, and checks both.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::event::Event;
use crate::opaque;
use crate::projection::Projection;
use crate::query::error::QueryError;
use crate::store::{Cursor, EventStore, ReadStore};

/// The longest pause between two looks at a projection that is behind.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// What a reader passes to see a command's effect: an aggregate at a version.
///
/// ```
/// use eventwright::consistency::ConsistencyToken;
///
/// let token = ConsistencyToken {
///     aggregate_type: "Order".into(),
///     aggregate_id: "o-1".into(),
///     version: 3,
/// };
/// assert_eq!(ConsistencyToken::parse(&token.encode()), Some(token));
/// assert_eq!(ConsistencyToken::parse("not a token"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyToken {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub version: u64,
}

impl ConsistencyToken {
    /// The token as text: opaque to clients, and plain ASCII, so it travels in a header or a
    /// URL as is.
    pub fn encode(&self) -> String {
        opaque::encode(&json!([
            self.aggregate_type,
            self.aggregate_id,
            self.version
        ]))
    }

    /// A token [`encode`](Self::encode) wrote; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let Value::Array(parts) = opaque::decode(text)? else {
            return None;
        };
        match parts.as_slice() {
            [
                Value::String(aggregate_type),
                Value::String(aggregate_id),
                version,
            ] => Some(Self {
                aggregate_type: aggregate_type.clone(),
                aggregate_id: aggregate_id.clone(),
                version: version.as_u64()?,
            }),
            _ => None,
        }
    }
}

/// Waits, up to `wait`, until projection `P` has caught up with `token`.
///
/// A token that names no stored event is an invalid parameter (`field` names where it came
/// from); a projection still behind when `wait` runs out is [`QueryError::NotYetConsistent`].
pub async fn wait_for<P: Projection>(
    events: &dyn EventStore,
    read: &dyn ReadStore,
    token: &ConsistencyToken,
    field: &'static str,
    wait: Duration,
) -> Result<(), QueryError> {
    let started = Instant::now();
    let (kind, id) = (token.aggregate_type.as_str(), token.aggregate_id.as_str());
    let Some(cursor) = events.cursor_of(kind, id, token.version).await? else {
        return Err(QueryError::InvalidParameter {
            field,
            message: format!(
                "names {kind} {id} at version {}, which this service has not recorded",
                token.version
            ),
        });
    };
    caught_up::<P>(events, read, token, cursor, (started, wait)).await
}

/// Waits until projection `P` has applied the event `token` names, which stands at `cursor`
/// in the log, for up to `wait` since `started`.
pub(crate) async fn caught_up<P: Projection>(
    events: &dyn EventStore,
    read: &dyn ReadStore,
    token: &ConsistencyToken,
    cursor: Cursor,
    (started, wait): (Instant, Duration),
) -> Result<(), QueryError> {
    let (kind, id) = (token.aggregate_type.as_str(), token.aggregate_id.as_str());
    if read.checkpoint(P::NAME).await? >= cursor {
        return Ok(());
    }
    // Which of the aggregate's events up to the token the projection has to have handled: the
    // last one it consumes. Stored events never change, so this is looked up once.
    let handled = read.progress(&P::SCHEMA, P::NAME, kind, id).await?;
    let needed = events
        .load(kind, id, handled)
        .await?
        .iter()
        .filter(|event| event.sequence <= token.version)
        .filter(|event| <P::Event as Event>::NAMES.contains(&event.event_type.as_str()))
        .map(|event| event.sequence)
        .max();
    let Some(needed) = needed else {
        return Ok(());
    };
    let mut pause = Duration::from_millis(2);
    loop {
        let elapsed = started.elapsed();
        if elapsed >= wait {
            return Err(QueryError::NotYetConsistent {
                projection: P::NAME,
                waited: elapsed,
            });
        }
        tokio::time::sleep(pause.min(wait - elapsed)).await;
        pause = (pause * 2).min(MAX_PAUSE);
        if read.checkpoint(P::NAME).await? >= cursor
            || read.progress(&P::SCHEMA, P::NAME, kind, id).await? >= needed
        {
            return Ok(());
        }
    }
}
