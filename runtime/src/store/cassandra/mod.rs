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
//!
//! # What a reader may observe
//!
//! Reads and writes use the configured consistency (`LOCAL_QUORUM` by default, so a read after
//! a write sees it), and the compare-and-set uses `LOCAL_SERIAL`. A get reads the main table,
//! which is always the newest state of its row. A list reads a list table, which follows the
//! main table by one write: briefly, a list can miss a row that was just written, or still
//! show a row's previous values, until the write that follows completes. Both are the ordinary
//! eventual consistency of any read model; no event is ever lost or applied twice.

mod read_store;
mod rows;
mod scratch;
mod session;
mod statements;
mod tenant;
mod values;

use std::sync::Arc;
use std::time::Duration;

use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
pub use scylla::frame::types::{Consistency, SerialConsistency};

pub use read_store::CassandraReadStore;
pub use scratch::ScratchKeyspace;
pub use tenant::tenant_keyspace;

use super::StoreError;

/// Where the cluster is, the keyspace the service's tables live in, and the consistency they
/// are read and written with.
#[derive(Debug, Clone)]
pub struct CassandraConfig {
    /// `host:port` of one or more contact points, comma-separated.
    pub nodes: String,
    pub keyspace: String,
    /// The keyspace's replication, as CQL, used only when the keyspace is created here.
    pub replication: String,
    pub consistency: Consistency,
    pub serial_consistency: SerialConsistency,
}

impl CassandraConfig {
    /// `LOCAL_QUORUM` and `LOCAL_SERIAL`; a keyspace created here gets `SimpleStrategy` with one
    /// replica, for development: create a production keyspace yourself (with
    /// `NetworkTopologyStrategy`) before the first start, and it is used as it is.
    pub fn new(nodes: impl Into<String>, keyspace: impl Into<String>) -> Self {
        Self {
            nodes: nodes.into(),
            keyspace: keyspace.into(),
            replication: eventwright_tables::cql::DEVELOPMENT_REPLICATION.to_owned(),
            consistency: Consistency::LocalQuorum,
            serial_consistency: SerialConsistency::LocalSerial,
        }
    }
}

impl CassandraConfig {
    /// From `cassandra://host:port[,host:port...]/keyspace[?consistency=<level>]`, the form
    /// a service takes as its read store's URL. The level is a CQL consistency level such as
    /// `local_quorum` (the default), `quorum`, `one` or `all`.
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        let invalid = |why: &str| {
            StoreError::Unavailable(format!(
                "invalid Cassandra URL {url}: {why}; expected \
                 cassandra://host:port[,host:port...]/keyspace[?consistency=local_quorum]"
            ))
        };
        let rest = url
            .strip_prefix("cassandra://")
            .ok_or_else(|| invalid("it must start with cassandra://"))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (nodes, keyspace) = rest
            .split_once('/')
            .ok_or_else(|| invalid("it names no keyspace"))?;
        if nodes.is_empty() {
            return Err(invalid("it names no node"));
        }
        let valid_keyspace = !keyspace.is_empty()
            && keyspace.len() <= 48
            && keyspace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_keyspace {
            return Err(invalid(
                "a keyspace name is 1 to 48 letters, digits and underscores",
            ));
        }
        let mut config = Self::new(nodes, keyspace);
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            match pair.split_once('=') {
                Some(("consistency", level)) => {
                    config.consistency = consistency(level)
                        .ok_or_else(|| invalid(&format!("unknown consistency level `{level}`")))?;
                }
                _ => return Err(invalid(&format!("unknown setting `{pair}`"))),
            }
        }
        Ok(config)
    }
}

fn consistency(level: &str) -> Option<Consistency> {
    Some(match level.to_ascii_lowercase().as_str() {
        "one" => Consistency::One,
        "two" => Consistency::Two,
        "three" => Consistency::Three,
        "quorum" => Consistency::Quorum,
        "all" => Consistency::All,
        "local_quorum" => Consistency::LocalQuorum,
        "each_quorum" => Consistency::EachQuorum,
        "local_one" => Consistency::LocalOne,
        _ => return None,
    })
}

/// How many times [`connect`] tries, and how long it waits at first, doubling up to 5 s.
const CONNECT_ATTEMPTS: u32 = 8;
const CONNECT_FIRST_DELAY: Duration = Duration::from_millis(250);

/// Connects to the cluster, retrying with backoff while it cannot be reached, and creates the
/// keyspace when it is missing.
pub async fn connect(config: &CassandraConfig) -> Result<Arc<Session>, StoreError> {
    let mut delay = CONNECT_FIRST_DELAY;
    let mut attempt = 1;
    let session = loop {
        let built = SessionBuilder::new()
            .known_nodes(config.nodes.split(',').map(str::trim))
            .connection_timeout(Duration::from_secs(5))
            .build()
            .await;
        match built {
            Ok(session) => break session,
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

/// A driver error, naming the cluster.
fn backend(config: &CassandraConfig, error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("cassandra at {}: {error}", config.nodes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_nodes_keyspace_and_consistency() {
        let config = CassandraConfig::from_url(
            "cassandra://10.0.0.1:9042,10.0.0.2:9042/orders?consistency=quorum",
        )
        .unwrap();
        assert_eq!(config.nodes, "10.0.0.1:9042,10.0.0.2:9042");
        assert_eq!(config.keyspace, "orders");
        assert_eq!(config.consistency, Consistency::Quorum);
        let plain = CassandraConfig::from_url("cassandra://127.0.0.1:9042/ordering").unwrap();
        assert_eq!(plain.consistency, Consistency::LocalQuorum);
        for bad in [
            "postgres://127.0.0.1/ordering",
            "cassandra://127.0.0.1:9042",
            "cassandra:///ordering",
            "cassandra://127.0.0.1:9042/order-desk",
            "cassandra://127.0.0.1:9042/ordering?consistency=most",
            "cassandra://127.0.0.1:9042/ordering?timeout=5",
        ] {
            let error = CassandraConfig::from_url(bad).unwrap_err().to_string();
            assert!(error.contains(bad) && error.contains("expected"), "{error}");
        }
    }
}
