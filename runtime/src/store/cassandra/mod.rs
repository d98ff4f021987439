//! Apache Cassandra as the read store (feature `cassandra`), through the `scylla` driver.
//!
//! # Tables, designed from the queries
//!
//! Each projection gets a main table with the row key as its partition key, which serves
//! gets, and one table per listed field, `<table>_by_<field>`, with that field as partition key
//! and the row key as clustering column: a list is one partition read in key order, and the
//! next page starts after the last key. A row is written to every table of its projection.
//!
//! # Applying without transactions
//!
//! Cassandra has no transaction spanning a row and a checkpoint, so each main-table row
//! carries its own bookkeeping:
//!
//! - `eventwright_applied`: the last sequence applied per aggregate. An event at or below it is
//!   skipped, so redelivery — after a crash, a rebalance or a replay — changes nothing.
//! - `eventwright_version`: every write is a lightweight transaction (`IF eventwright_version =
//!   <read>`, or `IF NOT EXISTS`) that bumps it, so two projectors writing one row at once take
//!   turns: the loser reads the row again and decides again. The marks are written in the same
//!   statement as the data, so they can never disagree.
//! - `eventwright_deleted`: a deleted row stays as a marker with its marks, so a redelivered
//!   older event cannot bring it back; reads do not see it.
//! - The list tables are written after the main row, with the main row's version as write time,
//!   so an older write never overwrites a newer one there; and the main row remembers the listed
//!   values it replaced, so a write interrupted between the two is completed when its event is
//!   redelivered, or by the row's next write, which first finishes the removals of the one
//!   before (another aggregate's event may write the row before the redelivery comes).
//! - A change to every row holding a value finds the rows through that value's list table, and
//!   changes each only if its main row still holds the value: a list can be behind its rows.
//! - A projector's batch is written in runs: the rows of different keys at once, each key's
//!   events in turn, then the checkpoint moves once. Redelivered after a crash part way, the
//!   run's written events are skipped by their rows' marks; an event that left a row unchanged
//!   has its mark written with that row's next change, so it is not decided again on a row a
//!   later event changed.
//!
//! # What a reader may observe
//!
//! Reads and writes use the configured consistency (`LOCAL_QUORUM` by default, so a read after
//! a write sees it), and the compare-and-set uses `LOCAL_SERIAL`. A get reads the main table,
//! which is always the newest state of its row. A list reads a list table, which follows the
//! main table by one write: briefly, a list can miss a row that was just written, or still
//! show a row's previous values, until the write that follows completes. Both are the ordinary
//! eventual consistency of any read model; no event is ever lost or applied twice.

mod batch;
mod config;
mod read_store;
mod rows;
mod scratch;
mod session;
mod statements;
mod tenant;
mod values;

use std::sync::Arc;
use std::time::Duration;

use openssl::ssl::{SslConnector, SslConnectorBuilder, SslMethod};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::errors::{
    ConnectionError, ConnectionPoolError, ConnectionSetupRequestErrorKind, DbError, MetadataError,
    NewSessionError,
};
pub use scylla::frame::types::{Consistency, SerialConsistency};
use secrecy::ExposeSecret as _;

pub use config::{CassandraConfig, CassandraCredentials, CassandraTls};
pub use read_store::CassandraReadStore;
pub use scratch::ScratchKeyspace;
pub use tenant::tenant_keyspace;

use super::StoreError;

/// How many times [`connect`] tries, and how long it waits at first, doubling up to 5 s.
const CONNECT_ATTEMPTS: u32 = 8;
const CONNECT_FIRST_DELAY: Duration = Duration::from_millis(250);

/// Connects to the cluster, retrying with backoff while it cannot be reached, and creates the
/// keyspace when it is missing. A refused login fails at once: trying again cannot help.
pub async fn connect(config: &CassandraConfig) -> Result<Arc<Session>, StoreError> {
    let mut delay = CONNECT_FIRST_DELAY;
    let mut attempt = 1;
    let session = loop {
        let built = session_builder(config)?.build().await;
        match built {
            Ok(session) => break session,
            Err(error) if login_refused(&error) => {
                let whose = match &config.credentials {
                    Some(credentials) => format!(" of user `{}`", credentials.username),
                    None => " (the URL names no user, as user:password@)".to_owned(),
                };
                return Err(StoreError::Unavailable(format!(
                    "Cassandra at {} refused the login{whose}: {error}",
                    config.nodes,
                )));
            }
            Err(error) if attempt < CONNECT_ATTEMPTS => {
                tracing::warn!(nodes = %config.nodes, attempt, %error, "Cassandra not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
            Err(error) => {
                return Err(StoreError::Unavailable(format!(
                    "cannot reach Cassandra at {} after {attempt} attempts: {error}",
                    config.nodes
                )));
            }
        }
    };
    let create = eventwright_tables::cql::keyspace(&config.keyspace, &config.replication);
    session
        .query_unpaged(create, ())
        .await
        .map_err(|error| backend(config, error))?;
    Ok(Arc::new(session))
}

/// Whether the cluster refused to let the session in: wrong credentials, or none where the
/// cluster requires them.
fn login_refused(error: &NewSessionError) -> bool {
    let NewSessionError::MetadataError(MetadataError::ConnectionPoolError(
        ConnectionPoolError::Broken {
            last_connection_error: ConnectionError::ConnectionSetupRequestError(setup),
        },
    )) = error
    else {
        return false;
    };
    matches!(
        setup.error,
        ConnectionSetupRequestErrorKind::DbError(DbError::AuthenticationError, _)
            | ConnectionSetupRequestErrorKind::MissingAuthentication
    )
}

/// The driver's settings: contact points, credentials and TLS.
pub(crate) fn session_builder(config: &CassandraConfig) -> Result<SessionBuilder, StoreError> {
    let mut builder = SessionBuilder::new()
        .known_nodes(config.nodes.split(',').map(str::trim))
        .connection_timeout(Duration::from_secs(5));
    if let Some(credentials) = &config.credentials {
        builder = builder.user(&credentials.username, credentials.password.expose_secret());
    }
    if let Some(tls) = &config.tls {
        builder = builder.tls_context(Some(tls_context(tls).map_err(|error| {
            StoreError::Unavailable(format!(
                "cassandra at {}: cannot set up TLS: {error}",
                config.nodes
            ))
        })?));
    }
    Ok(builder)
}

/// OpenSSL, trusting the system's authorities and `tls.ca`'s. The driver checks each node's
/// certificate against the node's IP address.
fn tls_context(tls: &CassandraTls) -> Result<SslConnectorBuilder, openssl::error::ErrorStack> {
    let mut builder = SslConnector::builder(SslMethod::tls_client())?;
    if let Some(ca) = &tls.ca {
        builder.set_ca_file(ca)?;
    }
    Ok(builder)
}

/// A driver error, naming the cluster.
fn backend(config: &CassandraConfig, error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("cassandra at {}: {error}", config.nodes))
}
