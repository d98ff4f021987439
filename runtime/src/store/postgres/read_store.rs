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
use crate::store::sql::{self, Dialect, to_cursor, to_i64};
use crate::store::{Cursor, ReadStore, Row, RowChange, StoreError};

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

#[async_trait]
impl ReadStore for PostgresReadStore {
    async fn prepare(&self, schema: &TableSchema) -> Result<(), StoreError> {
        let mut statements = vec![CHECKPOINTS.to_owned(), sql::create_table(POSTGRES, schema)];
        statements.extend(sql::create_indexes(schema));
        let statements: Vec<&str> = statements.iter().map(String::as_str).collect();
        prepare_schema(&self.pool, schema.name, &statements).await
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

    async fn get(&self, schema: &TableSchema, key: &Value) -> Result<Option<Row>, StoreError> {
        let sql = sql::select_by_key(POSTGRES, schema);
        let row = bind(sqlx::query(&sql), schema.key_column(), key)?
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| row_to_json(schema, &row)).transpose()
    }

    async fn apply(
        &self,
        schema: &TableSchema,
        projection: &str,
        cursor: Cursor,
        change: RowChange,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO eventwright_checkpoints (projection, transaction_id, position) \
             VALUES ($1, 0, 0) ON CONFLICT (projection) DO NOTHING",
        )
        .bind(projection)
        .execute(&mut *tx)
        .await?;
        // The row lock makes concurrent appliers of one projection take turns.
        let stored: (i64, i64) = sqlx::query_as(
            "SELECT transaction_id, position FROM eventwright_checkpoints WHERE projection = $1 FOR UPDATE",
        )
        .bind(projection)
        .fetch_one(&mut *tx)
        .await?;
        if to_cursor(Some(stored))? >= cursor {
            return Ok(false);
        }
        match change {
            RowChange::None => {}
            RowChange::Upsert(row) => {
                let sql = sql::upsert(POSTGRES, schema);
                let mut query = sqlx::query(&sql);
                for column in schema.columns {
                    query = bind(query, column, row.get(column.name).unwrap_or(&Value::Null))?;
                }
                query.execute(&mut *tx).await?;
            }
            RowChange::Delete(key) => {
                let sql = sql::delete_by_key(POSTGRES, schema);
                bind(sqlx::query(&sql), schema.key_column(), &key)?
                    .execute(&mut *tx)
                    .await?;
            }
        }
        sqlx::query("UPDATE eventwright_checkpoints SET transaction_id = $2, position = $3 WHERE projection = $1")
            .bind(projection)
            .bind(to_i64(cursor.transaction)?)
            .bind(to_i64(cursor.position)?)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
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
