//! cqrs-es with postgres-es, as its documentation sets it up: the event store without snapshots,
//! which loads an aggregate's whole history for each command.

use async_trait::async_trait;
use cqrs_es::AggregateError;
use eventwright::store::postgres;
use postgres_es::{PostgresCqrs, postgres_cqrs};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::Contender;
use crate::domain::{PeerBump, PeerCounter};
use crate::workload::Target;

/// postgres-es's own table, from its `db/init.sql`.
const EVENTS: &str = "CREATE TABLE events (
    aggregate_type text                         NOT NULL,
    aggregate_id   text                         NOT NULL,
    sequence       bigint CHECK (sequence >= 0) NOT NULL,
    event_type     text                         NOT NULL,
    event_version  text                         NOT NULL,
    payload        json                         NOT NULL,
    metadata       json                         NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
)";

pub struct CqrsEs {
    pool: PgPool,
    cqrs: PostgresCqrs<PeerCounter>,
}

impl CqrsEs {
    pub async fn connect(url: &str, pool: u32) -> anyhow::Result<Self> {
        let scoped = postgres::scratch_schema(url).await?;
        let pool = PgPoolOptions::new()
            .max_connections(pool)
            .connect(&scoped)
            .await?;
        sqlx::query(EVENTS).execute(&pool).await?;
        Ok(Self {
            cqrs: postgres_cqrs(pool.clone(), Vec::new(), ()),
            pool,
        })
    }
}

#[async_trait]
impl Contender for CqrsEs {
    fn name(&self) -> &'static str {
        "cqrs-es + postgres-es"
    }

    fn store(&self) -> &'static str {
        "postgres"
    }

    async fn preload(&self, aggregates: usize, history: u64) -> anyhow::Result<()> {
        for aggregate in 0..aggregates {
            sqlx::query(
                "INSERT INTO events SELECT 'Counter', $1, n, 'Bumped', '1', \
                 json_build_object('Bumped', json_build_object('to', n)), '{}'::json \
                 FROM generate_series(1, $2) AS n",
            )
            .bind(format!("h-{aggregate}"))
            .bind(i64::try_from(history)?)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    async fn command(&self, target: &Target) -> anyhow::Result<()> {
        let (Target::New(id) | Target::Existing(id)) = target;
        // postgres-es reports a lost race and leaves the retry to the caller.
        loop {
            match self.cqrs.execute(id, PeerBump).await {
                Ok(()) => return Ok(()),
                Err(AggregateError::AggregateConflict) => continue,
                Err(error) => return Err(anyhow::anyhow!("{error}")),
            }
        }
    }
}
