//! Keyspaces of their own for tests that share a Cassandra cluster: tests running at once never
//! see each other's rows, and a test's keyspace goes when the test is done with it.

use std::sync::Arc;

use super::{CassandraConfig, backend, session_builder};
use crate::store::StoreError;
use crate::store::apart::drop_scratch;

/// A keyspace of its own for one test on the cluster at `nodes`, made by the first store that
/// connects to it ([`url`](Self::url)) and dropped with everything in it once the last clone of
/// this handle is dropped, a test that panics included.
#[derive(Debug, Clone)]
pub struct ScratchKeyspace(Arc<Scratch>);

#[derive(Debug)]
struct Scratch {
    nodes: String,
    keyspace: String,
    url: String,
}

impl ScratchKeyspace {
    /// A keyspace name no other test uses, on the nodes `nodes` (`host:port`, comma-separated).
    pub fn new(nodes: &str) -> Self {
        let keyspace = format!("test_{}", uuid::Uuid::new_v4().simple());
        Self(Arc::new(Scratch {
            nodes: nodes.to_owned(),
            url: format!("cassandra://{nodes}/{keyspace}"),
            keyspace,
        }))
    }

    /// The read store URL of the keyspace.
    pub fn url(&self) -> &str {
        &self.0.url
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let (nodes, keyspace) = (self.nodes.clone(), self.keyspace.clone());
        drop_scratch("keyspace", &self.keyspace, move || async move {
            drop_keyspace(&nodes, &keyspace).await
        });
    }
}

async fn drop_keyspace(nodes: &str, keyspace: &str) -> Result<(), StoreError> {
    let config = CassandraConfig::new(nodes, keyspace);
    let session = session_builder(&config)?
        .build()
        .await
        .map_err(|error| backend(&config, error))?;
    session
        .query_unpaged(format!("DROP KEYSPACE IF EXISTS {keyspace}"), ())
        .await
        .map_err(|error| backend(&config, error))?;
    Ok(())
}
