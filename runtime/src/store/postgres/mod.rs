//! PostgreSQL adapters: the write side (events, with transaction ids for safe catch-up) and the
//! read side (projection tables with typed columns). Write and read may be different servers.

mod backend;
mod scratch;
mod tenant;
mod values;

use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};

pub use scratch::{ScratchSchema, scratch_schema};
pub use sqlx::PgPool;
pub use tenant::tenant_schema;

pub use super::redact;

use super::StoreError;
use super::sql::{SqlEventStore, SqlReadStore};

/// The event store in a PostgreSQL database: see [`SqlEventStore`].
pub type PostgresEventStore = SqlEventStore<PgPool>;

/// The read store in a PostgreSQL database: see [`SqlReadStore`].
pub type PostgresReadStore = SqlReadStore<PgPool>;

/// How long one connection attempt may take before it counts as failed.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// How many times [`connect`] tries before it gives up, and how long it waits at first.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first_delay: Duration,
}

impl Default for Retry {
    /// Eight attempts with backoff from 250 ms to 5 s: about 18 s against a server that refuses
    /// connections, up to a minute against one that does not answer. Long enough for a database
    /// that starts beside the service.
    fn default() -> Self {
        Self {
            attempts: 8,
            first_delay: Duration::from_millis(250),
        }
    }
}

/// Connects to `url`, retrying with exponential backoff while the server cannot be reached.
///
/// Errors name the host and database, never the password.
pub async fn connect(url: &str, max_connections: u32, retry: Retry) -> Result<PgPool, StoreError> {
    let mut options = PgConnectOptions::from_str(url).map_err(|error| {
        StoreError::Unavailable(format!("invalid PostgreSQL URL {}: {error}", redact(url)))
    })?;
    if !url.contains("client_min_messages") {
        // Preparing the tables on every start would otherwise log a notice per table that
        // already exists ("already exists, skipping"): noise that hides what matters.
        options = options.options([("client_min_messages", "warning")]);
    }
    let mut delay = retry.first_delay;
    let mut attempt = 1;
    loop {
        // One plain connection per attempt: a pool would keep retrying a refused connection
        // until its acquire timeout, hiding both the time budget and the real error.
        let probe = tokio::time::timeout(PROBE_TIMEOUT, PgConnection::connect_with(&options)).await;
        let result = match probe {
            Ok(Ok(connection)) => {
                let _ = connection.close().await;
                PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options.clone())
                    .await
                    .map_err(|error| error.to_string())
            }
            Ok(Err(error)) => Err(error.to_string()),
            Err(_elapsed) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
        };
        match result {
            Ok(pool) => return Ok(pool),
            Err(error) if attempt < retry.attempts => {
                tracing::warn!(url = %redact(url), attempt, %error, "PostgreSQL not reachable yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
            Err(error) => {
                return Err(StoreError::Unavailable(format!(
                    "cannot reach PostgreSQL at {} after {attempt} attempts: {error}",
                    redact(url)
                )));
            }
        }
    }
}
