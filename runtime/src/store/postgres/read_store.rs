use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, Row as _};
use uuid::Uuid;

use super::event_store::prepare_schema;
use crate::schema::{ColumnDef, ColumnType, TableSchema};
use crate::store::sql::{self, Dialect, to_cursor, to_i64, to_u64};
use crate::store::{Cursor, Decide, Mark, ReadStore, Row, RowChange, StoreError, Update};

/// Projection tables in PostgreSQL, one typed column per field: uuids are `UUID`, decimals
/// `NUMERIC`, timestamps `TIMESTAMPTZ`, lists and value objects `JSONB`, so the tables read well
/// from any SQL client.
#[derive(Debug, Clone)]
pub struct PostgresReadStore {
    pool: PgPool,
}

impl PostgresReadStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

pub(super) const POSTGRES: Dialect = Dialect {
    placeholder: |index| format!("${index}"),
    column_type: sql_type,
};

const CHECKPOINTS: &str = "CREATE TABLE IF NOT EXISTS eventwright_checkpoints (
    projection     TEXT PRIMARY KEY,
    transaction_id BIGINT NOT NULL,
    position       BIGINT NOT NULL
)";

const APPLIED: &str = "CREATE TABLE IF NOT EXISTS eventwright_applied (
    projection     TEXT   NOT NULL,
    aggregate_type TEXT   NOT NULL,
    aggregate_id   TEXT   NOT NULL,
    sequence       BIGINT NOT NULL,
    PRIMARY KEY (projection, aggregate_type, aggregate_id)
)";

#[async_trait]
impl ReadStore for PostgresReadStore {
    async fn prepare_bookkeeping(&self) -> Result<(), StoreError> {
        let statements = [CHECKPOINTS, APPLIED, sql::CREATE_GENERATIONS];
        prepare_schema(&self.pool, "eventwright_checkpoints", &statements).await
    }

    async fn prepare(&self, schema: &TableSchema) -> Result<(), StoreError> {
        let mut statements = vec![
            CHECKPOINTS.to_owned(),
            APPLIED.to_owned(),
            sql::CREATE_GENERATIONS.to_owned(),
            sql::create_table(POSTGRES, schema),
        ];
        statements.extend(sql::create_indexes(schema));
        let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
        prepare_schema(&self.pool, schema.name, &statements).await
    }

    async fn active(&self, projection: &str) -> Result<u64, StoreError> {
        let stored: Option<i64> = sqlx::query_scalar(&sql::select_generation(POSTGRES))
            .bind(projection)
            .fetch_optional(&self.pool)
            .await?;
        to_u64(stored.unwrap_or(0))
    }

    async fn activate(&self, projection: &str, generation: u64) -> Result<(), StoreError> {
        sqlx::query(&sql::activate_generation(POSTGRES))
            .bind(projection)
            .bind(to_i64(generation)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn save_checkpoint(&self, projection: &str, cursor: Cursor) -> Result<(), StoreError> {
        sqlx::query(&sql::save_checkpoint(POSTGRES))
            .bind(projection)
            .bind(to_i64(cursor.transaction)?)
            .bind(to_i64(cursor.position)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn drop_projection(
        &self,
        schema: &TableSchema,
        projection: &str,
    ) -> Result<(), StoreError> {
        let [table, checkpoint, marks] = sql::drop_projection(POSTGRES, schema);
        let mut tx = self.pool.begin().await?;
        sqlx::query(&table).execute(&mut *tx).await?;
        for statement in [checkpoint, marks] {
            sqlx::query(&statement)
                .bind(projection)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError> {
        let stored: Option<(i64, i64)> = sqlx::query_as(
            "SELECT transaction_id, position FROM eventwright_checkpoints WHERE projection = $1",
        )
        .bind(projection)
        .fetch_optional(&self.pool)
        .await?;
        to_cursor(stored)
    }

    async fn progress(
        &self,
        _: &TableSchema,
        projection: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<u64, StoreError> {
        let stored: Option<i64> = sqlx::query_scalar(
            "SELECT sequence FROM eventwright_applied \
             WHERE projection = $1 AND aggregate_type = $2 AND aggregate_id = $3",
        )
        .bind(projection)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch_optional(&self.pool)
        .await?;
        to_u64(stored.unwrap_or(0))
    }

    async fn get(&self, schema: &TableSchema, key: &Value) -> Result<Option<Row>, StoreError> {
        let sql = sql::select_by_key(POSTGRES, schema);
        let row = bind(sqlx::query(&sql), schema.key_column(), key)?
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| row_to_json(schema, &row)).transpose()
    }

    async fn update(
        &self,
        schema: &TableSchema,
        projection: &str,
        mark: Mark<'_>,
        key: Option<&Value>,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let applied = update_in(&mut tx, schema, projection, mark, key, decide).await?;
        if applied {
            tx.commit().await?;
        }
        Ok(applied)
    }

    async fn update_many(
        &self,
        schema: &TableSchema,
        projection: &str,
        updates: Vec<Update<'_>>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Rows marked by sequence are locked as each event comes (see `update_in`); taking the
        // batch's locks first, in one order, keeps two batches sharing rows from deadlocking.
        let mut rows: Vec<String> = updates
            .iter()
            .filter(|update| update.mark.cursor.is_none())
            .filter_map(|update| update.key.as_ref())
            .map(|key| row_lock(schema, key))
            .collect();
        rows.sort_unstable();
        rows.dedup();
        for row in rows {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(row)
                .execute(&mut *tx)
                .await?;
        }
        let mut applied = Vec::with_capacity(updates.len());
        for update in updates {
            let key = update.key.as_ref();
            applied.push(
                update_in(&mut tx, schema, projection, update.mark, key, update.decide).await?,
            );
        }
        tx.commit().await?;
        Ok(applied)
    }

    async fn list(
        &self,
        schema: &TableSchema,
        field: &str,
        value: &Value,
        after_key: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        let column = schema.column(field).ok_or_else(|| {
            StoreError::Corrupt(format!("{} has no column `{field}`", schema.name))
        })?;
        let sql = sql::list(POSTGRES, schema, field, after_key.is_some());
        let mut query = bind(sqlx::query(&sql), column, value)?;
        if let Some(key) = after_key {
            query = bind(query, schema.key_column(), key)?;
        }
        let rows = query
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| row_to_json(schema, row)).collect()
    }
}

/// The name of the advisory lock appliers of one row take turns on.
fn row_lock(schema: &TableSchema, key: &Value) -> String {
    format!("{}\u{1f}{key}", schema.name)
}

/// [`ReadStore::update`] inside a transaction the caller commits.
async fn update_in(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    schema: &TableSchema,
    projection: &str,
    mark: Mark<'_>,
    key: Option<&Value>,
    decide: Decide<'_>,
) -> Result<bool, StoreError> {
    // Moving the mark first both decides whether the event is new and, by the row lock the
    // write takes, makes appliers of the same projection (checkpoint) or aggregate
    // (sequence) wait for each other until commit.
    let moved =
        match mark.cursor {
            Some(cursor) => sqlx::query(
                "INSERT INTO eventwright_checkpoints AS c (projection, transaction_id, position) \
             VALUES ($1, $2, $3) ON CONFLICT (projection) DO UPDATE \
             SET transaction_id = excluded.transaction_id, position = excluded.position \
             WHERE (c.transaction_id, c.position) < (excluded.transaction_id, excluded.position)",
            )
            .bind(projection)
            .bind(to_i64(cursor.transaction)?)
            .bind(to_i64(cursor.position)?)
            .execute(&mut **tx)
            .await?,
            None => {
                sqlx::query(
                    "INSERT INTO eventwright_applied AS a \
             (projection, aggregate_type, aggregate_id, sequence) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (projection, aggregate_type, aggregate_id) DO UPDATE \
             SET sequence = excluded.sequence WHERE a.sequence < excluded.sequence",
                )
                .bind(projection)
                .bind(mark.aggregate_type)
                .bind(mark.aggregate_id)
                .bind(to_i64(mark.sequence)?)
                .execute(&mut **tx)
                .await?
            }
        };
    if moved.rows_affected() == 0 {
        return Ok(false);
    }
    let row = match key {
        Some(key) => {
            // Marked by sequence, events of different aggregates may feed one row at once:
            // they take turns on it, even before it exists, so neither decides on a row the
            // other is about to change. (A checkpoint's row lock already serializes.)
            if mark.cursor.is_none() {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(row_lock(schema, key))
                    .execute(&mut **tx)
                    .await?;
            }
            let sql = sql::select_by_key(POSTGRES, schema);
            let row = bind(sqlx::query(&sql), schema.key_column(), key)?
                .fetch_optional(&mut **tx)
                .await?;
            row.map(|row| row_to_json(schema, &row)).transpose()?
        }
        None => None,
    };
    match decide(row).map_err(StoreError::Corrupt)? {
        RowChange::None => {}
        RowChange::Upsert(row) => {
            let sql = sql::upsert(POSTGRES, schema);
            let mut query = sqlx::query(&sql);
            for column in schema.columns {
                query = bind(query, column, row.get(column.name).unwrap_or(&Value::Null))?;
            }
            query.execute(&mut **tx).await?;
        }
        RowChange::Delete(key) => {
            let sql = sql::delete_by_key(POSTGRES, schema);
            bind(sqlx::query(&sql), schema.key_column(), &key)?
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(true)
}

fn sql_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::String => "TEXT",
        ColumnType::Bool => "BOOLEAN",
        ColumnType::Int => "BIGINT",
        ColumnType::Float => "DOUBLE PRECISION",
        ColumnType::Decimal => "NUMERIC",
        ColumnType::Uuid => "UUID",
        ColumnType::Timestamp => "TIMESTAMPTZ",
        ColumnType::Date => "DATE",
        ColumnType::Json => "JSONB",
    }
}

type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

/// Binds a JSON value as the column's SQL type; `NULL` binds as a typed null.
fn bind<'q>(
    query: PgQuery<'q>,
    column: &ColumnDef,
    value: &Value,
) -> Result<PgQuery<'q>, StoreError> {
    let mismatch = || StoreError::Corrupt(format!("column `{}` cannot hold {value}", column.name));
    let text = value.as_str();
    let null = value.is_null();
    Ok(match column.ty {
        ColumnType::Json => query.bind((!null).then(|| Json(value.clone()))),
        ColumnType::String => query.bind(if null {
            None
        } else {
            Some(text.ok_or_else(mismatch)?.to_owned())
        }),
        ColumnType::Bool => query.bind(if null {
            None
        } else {
            Some(value.as_bool().ok_or_else(mismatch)?)
        }),
        ColumnType::Int => query.bind(if null {
            None
        } else {
            // Aggregate ids arrive as text; an integer key column still takes them.
            Some(
                value
                    .as_i64()
                    .or_else(|| text.and_then(|t| t.parse().ok()))
                    .ok_or_else(mismatch)?,
            )
        }),
        ColumnType::Float => query.bind(if null {
            None
        } else {
            Some(value.as_f64().ok_or_else(mismatch)?)
        }),
        ColumnType::Decimal => query.bind(if null {
            None
        } else {
            let text = text.map(str::to_owned).unwrap_or_else(|| value.to_string());
            Some(Decimal::from_str(&text).map_err(|_| mismatch())?)
        }),
        ColumnType::Uuid => query.bind(if null {
            None
        } else {
            Some(Uuid::parse_str(text.ok_or_else(mismatch)?).map_err(|_| mismatch())?)
        }),
        ColumnType::Timestamp => query.bind(if null {
            None
        } else {
            let parsed =
                DateTime::parse_from_rfc3339(text.ok_or_else(mismatch)?).map_err(|_| mismatch())?;
            Some(parsed.with_timezone(&Utc))
        }),
        ColumnType::Date => query.bind(if null {
            None
        } else {
            Some(NaiveDate::from_str(text.ok_or_else(mismatch)?).map_err(|_| mismatch())?)
        }),
    })
}

/// A row back as JSON, each value in the form serde writes for its Rust type.
fn row_to_json(schema: &TableSchema, row: &PgRow) -> Result<Row, StoreError> {
    let mut json = Row::new();
    for column in schema.columns {
        let name = column.name;
        let value = match column.ty {
            ColumnType::Json => row
                .try_get::<Option<Json<Value>>, _>(name)?
                .map(|json| json.0),
            ColumnType::String => row.try_get::<Option<String>, _>(name)?.map(Value::String),
            ColumnType::Bool => row.try_get::<Option<bool>, _>(name)?.map(Value::Bool),
            ColumnType::Int => row.try_get::<Option<i64>, _>(name)?.map(Value::from),
            ColumnType::Float => row.try_get::<Option<f64>, _>(name)?.map(Value::from),
            ColumnType::Decimal => row
                .try_get::<Option<Decimal>, _>(name)?
                .map(|d| Value::String(d.to_string())),
            ColumnType::Uuid => row
                .try_get::<Option<Uuid>, _>(name)?
                .map(|u| Value::String(u.to_string())),
            ColumnType::Timestamp => row
                .try_get::<Option<DateTime<Utc>>, _>(name)?
                .map(serde_value),
            ColumnType::Date => row.try_get::<Option<NaiveDate>, _>(name)?.map(serde_value),
        };
        json.insert(name.to_owned(), value.unwrap_or(Value::Null));
    }
    Ok(json)
}

fn serde_value(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
