//! What differs between the SQL databases the stores run on. Everything else — the statements,
//! the order of the steps, what a conflict is — is written once, in the stores of this module.
//!
//! A [`Backend`] is a connection pool (`SqlitePool` or `PgPool`) and says how its database:
//! - spells its statements ([`Dialect`]) and reads the log in commit order ([`LogOrder`]);
//! - binds a value and reads one back ([`Arg`], [`SqlRow`]): typed columns or text;
//! - takes turns (SQLite's one writer; PostgreSQL's advisory locks) ([`Backend::begin`],
//!   [`Tx::lock`]);
//! - appends events fastest: SQLite inserts them one by one, PostgreSQL in one statement.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use eventwright_tables::sql::Dialect;
use serde_json::Value;
use uuid::Uuid;

use super::statements::{self, LogOrder};
use crate::event::{EventEnvelope, NewEvent};
use crate::store::StoreError;
use crate::table::ColumnDef;

/// A value bound to a statement's parameter.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(&'a str),
    OptText(Option<&'a str>),
    Uuid(Uuid),
    Timestamp(DateTime<Utc>),
    /// A document, kept as the database keeps JSON (`JSONB`, or text).
    Json(&'a Value),
    /// A read-model value, kept as the database keeps the column's type; `null` is SQL `NULL`.
    Cell(&'a ColumnDef<'a>, &'a Value),
}

/// One row a statement returned, read column by column.
pub trait SqlRow: Send {
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError>;
    fn uuid(&self, column: &str) -> Result<Uuid, StoreError>;
    fn timestamp(&self, column: &str) -> Result<DateTime<Utc>, StoreError>;
    fn json(&self, column: &str) -> Result<Value, StoreError>;
    /// A read-model value, in the form serde reads for the column's Rust type.
    fn cell(&self, column: &ColumnDef<'_>) -> Result<Value, StoreError>;
}

pub type Rows = Vec<Box<dyn SqlRow>>;

/// Runs statements: on the pool, each in a transaction of its own, or inside a [`Tx`].
#[async_trait]
pub trait Conn: Send {
    /// Returns how many rows the statement changed.
    async fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError>;
    async fn fetch_all(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Rows, StoreError>;

    async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<Box<dyn SqlRow>>, StoreError> {
        Ok(self.fetch_all(sql, args).await?.into_iter().next())
    }
}

/// A transaction: nothing it did is kept unless it commits.
#[async_trait]
pub trait Tx: Conn + Sized {
    /// Makes every transaction that locks `name` wait for this one to end, where the database
    /// needs telling (SQLite's transactions already take turns as a whole).
    async fn lock(&mut self, name: &str) -> Result<(), StoreError>;

    /// [`lock`](Self::lock) on each of `names`, in their order; where the database can, in one
    /// statement.
    async fn lock_all(&mut self, names: &[String]) -> Result<(), StoreError> {
        for name in names {
            self.lock(name).await?;
        }
        Ok(())
    }

    /// Each stream's version, the sequence of its last event (0 for none), in the order given;
    /// where the database can, in one statement.
    async fn stream_versions(
        &mut self,
        dialect: Dialect,
        streams: &[(&str, &str)],
    ) -> Result<Vec<i64>, StoreError> {
        let version = statements::stream_version(dialect);
        let mut versions = Vec::with_capacity(streams.len());
        for (aggregate_type, aggregate_id) in streams {
            let args = [Arg::Text(aggregate_type), Arg::Text(aggregate_id)];
            let row = self.fetch_optional(&version, &args).await?;
            versions.push(row.map(|row| row.int("version")).transpose()?.unwrap_or(0));
        }
        Ok(versions)
    }

    /// Makes each statement of the transaction read what committed before it started, whatever
    /// the server's default isolation, where the database has a choice: a conditional append
    /// takes its turns first and must then see every writer that held them before it.
    async fn read_committed(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn commit(self) -> Result<(), StoreError>;
}

/// A SQL database the stores run on: a connection pool. Implemented for `SqlitePool` and
/// `PgPool` only.
#[async_trait]
pub trait Backend: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// Statements run on the pool, each committed on its own.
    type Pool<'a>: Conn
    where
        Self: 'a;

    type Tx: Tx;

    fn dialect(&self) -> Dialect;

    fn log_order(&self) -> &'static LogOrder;

    fn pool(&self) -> Self::Pool<'_>;

    /// A transaction that may write. Writers of the database take turns from its start where
    /// the database has one writer at a time (SQLite), so none decides on a read another is
    /// about to change.
    async fn begin(&self) -> Result<Self::Tx, StoreError>;

    /// A transaction whose first statement writes, so it reads nothing another writer could
    /// change before its turn: it may take its turn at that statement. By default
    /// [`begin`](Self::begin); SQLite saves a round trip to its connection's thread.
    async fn begin_writing(&self) -> Result<Self::Tx, StoreError> {
        self.begin().await
    }

    /// Inserts events in `tx`, each unless its (aggregate, sequence) is taken; the position of
    /// each, in order, `None` for one that was taken. By default one statement per event.
    async fn insert_events(
        &self,
        tx: &mut Self::Tx,
        events: &[NewEvent],
    ) -> Result<Vec<Option<u64>>, StoreError> {
        let sql = statements::insert_event(self.dialect());
        let mut positions = Vec::with_capacity(events.len());
        for event in events {
            let position = tx.fetch_optional(&sql, &event_args(event)?).await?;
            positions.push(position.map(|row| row.int("position")).transpose()?);
        }
        positions
            .into_iter()
            .map(|position| position.map(crate::store::integers::to_u64).transpose())
            .collect()
    }

    /// Appends one aggregate's events atomically, or none of them when a sequence is taken:
    /// [`EventStore::append`](crate::store::EventStore::append). By default inside a
    /// transaction, with [`insert_events`](Self::insert_events); one event, the common case,
    /// in one statement, which is its own transaction: no BEGIN and COMMIT to send.
    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<EventEnvelope>, StoreError> {
        if let [event] = events.as_slice() {
            let sql = statements::insert_event(self.dialect());
            let row = self
                .pool()
                .fetch_optional(&sql, &event_args(event)?)
                .await?;
            let position = row
                .map(|row| row.int("position"))
                .transpose()?
                .map(crate::store::integers::to_u64)
                .transpose()?;
            return super::envelopes(events, vec![position]);
        }
        let mut tx = self.begin_writing().await?;
        let positions = self.insert_events(&mut tx, &events).await?;
        let stored = super::envelopes(events, positions)?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Moves a state-stored aggregate's state row from `expected_version` and appends its
    /// events, both or neither:
    /// [`EventStore::commit_state`](crate::store::EventStore::commit_state). By default in a
    /// transaction that writes the row first.
    async fn commit_state(
        &self,
        expected_version: u64,
        state: Value,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        super::commit_state_in_steps(self, expected_version, state, events).await
    }
}

/// The parameters of [`statements::insert_event`](super::statements::insert_event).
pub fn event_args(event: &NewEvent) -> Result<[Arg<'_>; 12], StoreError> {
    use crate::store::integers::to_i64;
    Ok([
        Arg::Uuid(event.event_id),
        Arg::Text(&event.aggregate_type),
        Arg::Text(&event.aggregate_id),
        Arg::Int(to_i64(event.sequence)?),
        Arg::Text(&event.event_type),
        Arg::Int(i64::from(event.event_version)),
        Arg::Timestamp(event.timestamp),
        Arg::OptText(event.metadata.correlation_id.as_deref()),
        Arg::OptText(event.metadata.causation_id.as_deref()),
        Arg::OptText(event.metadata.traceparent.as_deref()),
        Arg::OptText(event.metadata.actor.as_deref()),
        Arg::Json(&event.payload),
    ])
}

/// A database's pool and transaction types, as [`Conn`]s: statements built by `$query` (which
/// binds each [`Arg`] the database's way) and rows wrapped by `$rows`. Written once here, since
/// they are the same for every sqlx database but for those two functions.
macro_rules! sqlx_connections {
    ($pool:ident(& $pool_ty:ty), $tx:ident($db:ty), $query:path, $rows:path) => {
        /// Statements run on the pool, each committed on its own.
        #[derive(Debug)]
        pub struct $pool<'a>(&'a $pool_ty);

        /// A transaction on one of the pool's connections.
        #[derive(Debug)]
        pub struct $tx(sqlx::Transaction<'static, $db>);

        #[async_trait::async_trait]
        impl $crate::store::sql::Conn for $pool<'_> {
            async fn execute(
                &mut self,
                sql: &str,
                args: &[$crate::store::sql::Arg<'_>],
            ) -> Result<u64, $crate::store::StoreError> {
                Ok($query(sql, args)?.execute(self.0).await?.rows_affected())
            }

            async fn fetch_all(
                &mut self,
                sql: &str,
                args: &[$crate::store::sql::Arg<'_>],
            ) -> Result<$crate::store::sql::Rows, $crate::store::StoreError> {
                Ok($rows($query(sql, args)?.fetch_all(self.0).await?))
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::sql::Conn for $tx {
            async fn execute(
                &mut self,
                sql: &str,
                args: &[$crate::store::sql::Arg<'_>],
            ) -> Result<u64, $crate::store::StoreError> {
                Ok($query(sql, args)?
                    .execute(&mut *self.0)
                    .await?
                    .rows_affected())
            }

            async fn fetch_all(
                &mut self,
                sql: &str,
                args: &[$crate::store::sql::Arg<'_>],
            ) -> Result<$crate::store::sql::Rows, $crate::store::StoreError> {
                Ok($rows($query(sql, args)?.fetch_all(&mut *self.0).await?))
            }
        }
    };
}

pub(crate) use sqlx_connections;
