//! Where events and read models are kept.
//!
//! [`EventStore`] is the write side: the append-only log of every event, each event-sourced
//! aggregate's [`Snapshot`]s, each state-stored aggregate's current state, and the relays'
//! checkpoints. [`ReadStore`] holds projection rows and each projection's checkpoint. Both are
//! object-safe so a service picks its adapters at start-up.
//! The traits speak in events, rows and cursors; nothing in them assumes a particular database.
//!
//! The adapters, each behind a cargo feature: [`sqlite`] and [`postgres`] (the same code,
//! [`sql`], over each database's differences), and [`cassandra`] for the read side. The tables
//! each one keeps are defined once, in `eventwright-tables`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::event::EventEnvelope;

#[cfg(any(feature = "postgres", feature = "cassandra"))]
mod apart;
#[cfg(feature = "cassandra")]
pub mod cassandra;
mod conditional_append;
pub(crate) mod entries;
mod event_store;
pub mod generation;
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "cassandra"))]
mod integers;
#[cfg(feature = "postgres")]
pub mod postgres;
mod read_store;
mod redact;
mod sent_commands;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(any(feature = "sqlite", feature = "cassandra"))]
mod timestamps;
mod workflow_store;

pub use conditional_append::{ConditionalAppend, NewState, QueryRead, StreamVersion, UniqueValue};
pub use event_store::EventStore;
pub use read_store::{Decide, Find, Mark, ReadStore, RowChange, RowPosition, Target, Update};
pub use redact::redact;
pub use sent_commands::SentCommand;
pub use workflow_store::{Instance, Step, Timer, WorkflowStore};

/// A projection row as the read store sees it: column name to value.
pub type Row = Map<String, Value>;

/// Where a reader of the whole log stands.
///
/// The log is read in cursor order: by committing transaction, then position. In a store whose
/// positions can become visible out of order (PostgreSQL hands out sequence values before
/// commit), reading by position alone would skip an event that commits late; reading by
/// transaction, and only transactions that can no longer change, never does. A store with one
/// writer at a time (SQLite) leaves `transaction` at 0, which makes this plain position order.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Cursor {
    pub transaction: u64,
    pub position: u64,
}

impl Cursor {
    /// Before the first event.
    pub const START: Cursor = Cursor {
        transaction: 0,
        position: 0,
    };
}

/// An event read from the log, with the cursor that points just past it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub cursor: Cursor,
    pub envelope: EventEnvelope,
}

/// An aggregate's state after the event at `sequence`, as [`Aggregate::snapshot`] wrote it: a
/// snapshot of an event-sourced aggregate, or the current state of a state-stored one.
///
/// [`Aggregate::snapshot`]: crate::Aggregate::snapshot
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub sequence: u64,
    pub state: Value,
}

/// A store failed or refused.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer appended to the aggregate first.
    #[error("concurrent write to {aggregate_type} {aggregate_id}: sequence {sequence} is taken")]
    Conflict {
        aggregate_type: String,
        aggregate_id: String,
        sequence: u64,
    },
    /// A value that must stay unique within its scope is held by another aggregate.
    #[error("{scope} {value:?} is taken by {holder_type} {holder_id}")]
    Taken {
        scope: String,
        value: String,
        holder_type: String,
        holder_id: String,
    },
    /// The store cannot serve what it was asked for: an index it cannot keep, or a read of one
    /// its table was not prepared with.
    #[error("unsupported by this store: {0}")]
    Unsupported(String),
    /// Stored data does not have the shape it should.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The database cannot be reached (the message names it, without credentials).
    #[error("{0}")]
    Unavailable(String),
    /// The database itself failed.
    #[error("store backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn backend(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Backend(Box::new(error))
    }

    /// The same error again, for each of several callers that one failure answers.
    pub fn duplicate(&self) -> Self {
        match self {
            Self::Conflict {
                aggregate_type,
                aggregate_id,
                sequence,
            } => Self::Conflict {
                aggregate_type: aggregate_type.clone(),
                aggregate_id: aggregate_id.clone(),
                sequence: *sequence,
            },
            Self::Taken {
                scope,
                value,
                holder_type,
                holder_id,
            } => Self::Taken {
                scope: scope.clone(),
                value: value.clone(),
                holder_type: holder_type.clone(),
                holder_id: holder_id.clone(),
            },
            Self::Unsupported(message) => Self::Unsupported(message.clone()),
            Self::Corrupt(message) => Self::Corrupt(message.clone()),
            Self::Unavailable(message) => Self::Unavailable(message.clone()),
            Self::Backend(error) => {
                Self::Backend(Box::new(std::io::Error::other(error.to_string())))
            }
        }
    }
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::backend(error)
    }
}
