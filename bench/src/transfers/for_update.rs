//! The hand-written baseline: plain sqlx, one transaction per transfer that locks both account
//! rows (`SELECT … FOR UPDATE`, in id order so that two transfers never deadlock), checks the
//! balance, updates both rows, and inserts both events into a table of eventwright's event row
//! shape and unique key.

use async_trait::async_trait;
use eventwright::store::postgres::{self, Retry};
use sqlx::{PgPool, Row as _};

use crate::{Contender, OPENING_BALANCE};

pub struct ForUpdate {
    pool: PgPool,
}

impl ForUpdate {
    pub async fn connect(url: &str, pool: u32) -> anyhow::Result<Self> {
        let scoped = postgres::scratch_schema(url).await?;
        let pool = postgres::connect(&scoped, pool, Retry::default()).await?;
        sqlx::query(
            "CREATE TABLE accounts (id TEXT PRIMARY KEY, balance BIGINT NOT NULL, \
             version BIGINT NOT NULL)",
        )
        .execute(&pool)
        .await?;
        sqlx::query(
            "CREATE TABLE events (position BIGSERIAL PRIMARY KEY, event_id UUID NOT NULL, \
             aggregate_type TEXT NOT NULL, aggregate_id TEXT NOT NULL, sequence BIGINT NOT NULL, \
             event_type TEXT NOT NULL, event_version INTEGER NOT NULL, \
             timestamp TIMESTAMPTZ NOT NULL, payload JSONB NOT NULL, \
             UNIQUE (aggregate_type, aggregate_id, sequence))",
        )
        .execute(&pool)
        .await?;
        Ok(Self { pool })
    }
}

fn account(n: usize) -> String {
    format!("account-{n}")
}

#[async_trait]
impl Contender for ForUpdate {
    fn name(&self) -> &'static str {
        "sqlx SELECT … FOR UPDATE"
    }

    async fn open(&self, accounts: usize) -> anyhow::Result<()> {
        for n in 0..accounts {
            sqlx::query("INSERT INTO accounts (id, balance, version) VALUES ($1, $2, 1)")
                .bind(account(n))
                .bind(OPENING_BALANCE)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    async fn transfer(&self, from: usize, to: usize) -> anyhow::Result<()> {
        let (from, to) = (account(from), account(to));
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT id, balance, version FROM accounts WHERE id = $1 OR id = $2 \
             ORDER BY id FOR UPDATE",
        )
        .bind(&from)
        .bind(&to)
        .fetch_all(&mut *tx)
        .await?;
        let row = |id: &str| {
            rows.iter()
                .find(|row| row.get::<String, _>("id") == id)
                .map(|row| (row.get::<i64, _>("balance"), row.get::<i64, _>("version")))
                .ok_or_else(|| anyhow::anyhow!("account {id} not found"))
        };
        let ((balance, from_version), (_, to_version)) = (row(&from)?, row(&to)?);
        anyhow::ensure!(balance >= 1, "insufficient funds");
        sqlx::query(
            "UPDATE accounts SET balance = balance + CASE WHEN id = $1 THEN -1 ELSE 1 END, \
             version = version + 1 WHERE id = $1 OR id = $2",
        )
        .bind(&from)
        .bind(&to)
        .execute(&mut *tx)
        .await?;
        let now = chrono::Utc::now();
        sqlx::query(
            "INSERT INTO events (event_id, aggregate_type, aggregate_id, sequence, event_type, \
             event_version, timestamp, payload) VALUES \
             ($1, 'Account', $2, $3, 'TransferSent', 1, $7, $8), \
             ($4, 'Account', $5, $6, 'TransferReceived', 1, $7, $9)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(&from)
        .bind(from_version + 1)
        .bind(uuid::Uuid::now_v7())
        .bind(&to)
        .bind(to_version + 1)
        .bind(now)
        .bind(sqlx::types::Json(
            serde_json::json!({ "to": to, "amount": 1 }),
        ))
        .bind(sqlx::types::Json(
            serde_json::json!({ "from": from, "amount": 1 }),
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
