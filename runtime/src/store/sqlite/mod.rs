//! SQLite adapters: the embedded default, no server needed.
//!
//! One file can hold both the event store and the read store, or each its own file; a service
//! that starts on SQLite can later move either side to a server database without code changes.

mod backend;
mod tenant;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use sqlx::SqlitePool;
pub use tenant::tenant_file;

use super::StoreError;
use super::sql::{SqlEventStore, SqlReadStore};

/// The event store in a SQLite database: see [`SqlEventStore`].
pub type SqliteEventStore = SqlEventStore<SqlitePool>;

/// The read store in a SQLite database: see [`SqlReadStore`].
pub type SqliteReadStore = SqlReadStore<SqlitePool>;

/// Opens (creating if needed) the database at `url`, e.g. `sqlite://ordering.db` or
/// `sqlite::memory:`.
///
/// An in-memory database lives as long as its one connection, so the pool keeps exactly one open.
pub async fn connect(url: &str) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(StoreError::backend)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // With WAL, NORMAL is durable against application crashes and keeps commits cheap.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10));
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let pool = if in_memory {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        SqlitePoolOptions::new().max_connections(8)
    };
    pool.connect_with(options)
        .await
        .map_err(StoreError::backend)
}
