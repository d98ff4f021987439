//! The ceiling of a durable design that commits each command on its own: plain sqlx inserting
//! one event row per transaction into a table of eventwright's row shape and unique key. It reads
//! nothing; each aggregate's next sequence is counted in memory.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use async_trait::async_trait;
use eventwright::store::EventStore as _;
use eventwright::store::postgres::{self, PostgresEventStore, Retry};
use eventwright::store::sqlite::{self, SqliteEventStore};
use sqlx::{PgPool, SqlitePool};

use super::{Contender, payload};
use crate::workload::Target;

enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

pub struct Raw {
    pool: Pool,
    /// The same table through eventwright's store, for the preload only.
    store: Box<dyn eventwright::store::EventStore>,
    /// The last sequence written per aggregate.
    sequences: Mutex<HashMap<String, u64>>,
}

impl Raw {
    pub async fn postgres(url: &str, pool: u32) -> anyhow::Result<Self> {
        let scoped = postgres::scratch_schema(url).await?;
        let pool = postgres::connect(&scoped, pool, Retry::default()).await?;
        let store = PostgresEventStore::new(pool.clone());
        store.prepare().await?;
        Ok(Self::new(Pool::Postgres(pool), Box::new(store)))
    }

    pub async fn sqlite(file: &Path) -> anyhow::Result<Self> {
        let pool = sqlite::connect(&format!("sqlite://{}", file.display())).await?;
        let store = SqliteEventStore::new(pool.clone());
        store.prepare().await?;
        Ok(Self::new(Pool::Sqlite(pool), Box::new(store)))
    }

    fn new(pool: Pool, store: Box<dyn eventwright::store::EventStore>) -> Self {
        Self {
            pool,
            store,
            sequences: Mutex::default(),
        }
    }

    async fn insert(&self, id: &str, sequence: u64) -> anyhow::Result<()> {
        let sequence = i64::try_from(sequence)?;
        let event_id = uuid::Uuid::now_v7();
        let now = chrono::Utc::now();
        match &self.pool {
            Pool::Postgres(pool) => {
                sqlx::query(
                    "INSERT INTO eventwright_events (event_id, aggregate_type, aggregate_id, \
                     sequence, event_type, event_version, timestamp, payload) \
                     VALUES ($1, 'Counter', $2, $3, 'Bumped', 1, $4, $5)",
                )
                .bind(event_id)
                .bind(id)
                .bind(sequence)
                .bind(now)
                .bind(sqlx::types::Json(payload(sequence as u64)))
                .execute(pool)
                .await?;
            }
            Pool::Sqlite(pool) => {
                sqlx::query(
                    "INSERT INTO eventwright_events (event_id, aggregate_type, aggregate_id, \
                     sequence, event_type, event_version, timestamp, payload) \
                     VALUES (?, 'Counter', ?, ?, 'Bumped', 1, ?, ?)",
                )
                .bind(event_id.to_string())
                .bind(id)
                .bind(sequence)
                .bind(now.to_rfc3339())
                .bind(payload(sequence as u64).to_string())
                .execute(pool)
                .await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Contender for Raw {
    fn name(&self) -> &'static str {
        "raw sqlx, 1 row/tx"
    }

    fn store(&self) -> &'static str {
        match self.pool {
            Pool::Postgres(_) => "postgres",
            Pool::Sqlite(_) => "sqlite",
        }
    }

    async fn preload(&self, aggregates: usize, history: u64) -> anyhow::Result<()> {
        for aggregate in 0..aggregates {
            let id = format!("h-{aggregate}");
            self.store.append(super::history(&id, history)).await?;
            self.sequences.lock().unwrap().insert(id, history);
        }
        Ok(())
    }

    async fn command(&self, target: &Target) -> anyhow::Result<()> {
        let (Target::New(id) | Target::Existing(id)) = target;
        let sequence = {
            let mut sequences = self.sequences.lock().unwrap();
            let next = sequences.entry(id.clone()).or_insert(0);
            *next += 1;
            *next
        };
        self.insert(id, sequence).await
    }
}
