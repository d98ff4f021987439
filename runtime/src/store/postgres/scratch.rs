//! Schemas of their own for tests that share a PostgreSQL server: tests running at once never
//! see each other's tables, and a test's schema goes when the test is done with it.

use std::sync::Arc;

use super::{Retry, connect};
use crate::store::StoreError;
use crate::store::apart::drop_scratch;

/// A new, empty schema on the server at `url`; returns a URL whose connections work in it. The
/// schema stays: see [`ScratchSchema`] for one dropped when the test is done.
pub async fn scratch_schema(url: &str) -> Result<String, StoreError> {
    Ok(new_schema(url).await?.1)
}

/// A new, empty schema on the server at `url`: its name, and a URL whose connections work in
/// it.
async fn new_schema(url: &str) -> Result<(String, String), StoreError> {
    let schema = format!("scratch_{}", uuid::Uuid::new_v4().simple());
    let admin = connect(url, 1, Retry::default()).await?;
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let separator = if url.contains('?') { '&' } else { '?' };
    // Named after the schema, so the connections still open in it can be found and ended
    // when it is dropped.
    let scoped =
        format!("{url}{separator}options=-c%20search_path%3D{schema}&application_name={schema}");
    Ok((schema, scoped))
}

/// A schema of its own for one test, dropped with everything in it once the last clone of this
/// handle is dropped, a test that panics included. Connections still open in it are ended
/// first: the test is over, and they would hold the locks the drop waits for.
#[derive(Debug, Clone)]
pub struct ScratchSchema(Arc<Scratch>);

#[derive(Debug)]
struct Scratch {
    server: String,
    schema: String,
    url: String,
}

impl ScratchSchema {
    /// Creates the schema on the server at `server`.
    pub async fn create(server: &str) -> Result<Self, StoreError> {
        let (schema, url) = new_schema(server).await?;
        Ok(Self(Arc::new(Scratch {
            server: server.to_owned(),
            schema,
            url,
        })))
    }

    /// A URL whose connections work in the schema.
    pub fn url(&self) -> &str {
        &self.0.url
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let (server, schema) = (self.server.clone(), self.schema.clone());
        drop_scratch("schema", &self.schema, move || async move {
            drop_schema(&server, &schema).await
        });
    }
}

async fn drop_schema(server: &str, schema: &str) -> Result<(), StoreError> {
    let once = Retry {
        attempts: 1,
        ..Retry::default()
    };
    let admin = connect(server, 1, once).await?;
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND pid <> pg_backend_pid()",
    )
    .bind(schema)
    .execute(&admin)
    .await?;
    // A connection opened meanwhile must not hold the drop up for good.
    sqlx::query("SET lock_timeout = '10s'")
        .execute(&admin)
        .await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .execute(&admin)
        .await?;
    admin.close().await;
    Ok(())
}
