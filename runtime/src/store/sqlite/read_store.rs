use async_trait::async_trait;
use serde_json::Value;
use sqlx::query::Query;
use sqlx::sqlite::{Sqlite, SqliteArguments, SqliteRow};
use sqlx::{Row as _, SqlitePool};

use crate::schema::{ColumnDef, ColumnType, TableSchema};
use crate::store::sql::{self, Dialect, to_cursor, to_i64, to_u64};
use crate::store::{Cursor, Decide, Mark, ReadStore, Row, RowChange, StoreError, Update};

/// Projection tables in SQLite, one column per field. Lists and value objects are JSON text;
/// decimals, uuids, timestamps and dates are text in their canonical serde form.
#[derive(Debug, Clone)]
pub struct SqliteReadStore {
    pool: SqlitePool,
}

impl SqliteReadStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }
}

pub(super) const SQLITE: Dialect = Dialect {
    placeholder: |_| "?".to_owned(),
    column_type: sql_type,
};

const CHECKPOINTS: &str = "CREATE TABLE IF NOT EXISTS eventwright_checkpoints (
    projection     TEXT PRIMARY KEY,
    transaction_id INTEGER NOT NULL,
    position       INTEGER NOT NULL
)";

const APPLIED: &str = "CREATE TABLE IF NOT EXISTS eventwright_applied (
    projection     TEXT    NOT NULL,
    aggregate_type TEXT    NOT NULL,
    aggregate_id   TEXT    NOT NULL,
    sequence       INTEGER NOT NULL,
    PRIMARY KEY (projection, aggregate_type, aggregate_id)
)";

const SELECT_CHECKPOINT: &str =
    "SELECT transaction_id, position FROM eventwright_checkpoints WHERE projection = ?";

const SELECT_APPLIED: &str = "SELECT sequence FROM eventwright_applied \
                              WHERE projection = ? AND aggregate_type = ? AND aggregate_id = ?";

#[async_trait]
impl ReadStore for SqliteReadStore {
    async fn prepare_bookkeeping(&self) -> Result<(), StoreError> {
        for statement in [CHECKPOINTS, APPLIED, sql::CREATE_GENERATIONS] {
            sqlx::query(statement).execute(&self.pool).await?;
        }
        Ok(())
    }

    async fn prepare(&self, schema: &TableSchema) -> Result<(), StoreError> {
        self.prepare_bookkeeping().await?;
        sqlx::query(&sql::create_table(SQLITE, schema))
            .execute(&self.pool)
            .await?;
        for index in sql::create_indexes(schema) {
            sqlx::query(&index).execute(&self.pool).await?;
        }
        Ok(())
    }

    async fn active(&self, projection: &str) -> Result<u64, StoreError> {
        let stored: Option<i64> = sqlx::query_scalar(&sql::select_generation(SQLITE))
            .bind(projection)
            .fetch_optional(&self.pool)
            .await?;
        to_u64(stored.unwrap_or(0))
    }

    async fn activate(&self, projection: &str, generation: u64) -> Result<(), StoreError> {
        sqlx::query(&sql::activate_generation(SQLITE))
            .bind(projection)
            .bind(to_i64(generation)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn save_checkpoint(&self, projection: &str, cursor: Cursor) -> Result<(), StoreError> {
        sqlx::query(&sql::save_checkpoint(SQLITE))
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
        let [table, checkpoint, marks] = sql::drop_projection(SQLITE, schema);
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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
        let stored: Option<(i64, i64)> = sqlx::query_as(SELECT_CHECKPOINT)
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
        let stored: Option<i64> = sqlx::query_scalar(SELECT_APPLIED)
            .bind(projection)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .fetch_optional(&self.pool)
            .await?;
        to_u64(stored.unwrap_or(0))
    }

    async fn get(&self, schema: &TableSchema, key: &Value) -> Result<Option<Row>, StoreError> {
        let sql = sql::select_by_key(SQLITE, schema);
        let query = bind(sqlx::query(&sql), schema.key_column(), key)?;
        let row = query.fetch_optional(&self.pool).await?;
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
        // BEGIN IMMEDIATE takes SQLite's one write lock up front: appliers take turns for the
        // whole read-decide-write, so none decides on a row another is about to change.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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
        let sql = sql::list(SQLITE, schema, field, after_key.is_some());
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

/// [`ReadStore::update`] inside a transaction the caller commits.
async fn update_in(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    schema: &TableSchema,
    projection: &str,
    mark: Mark<'_>,
    key: Option<&Value>,
    decide: Decide<'_>,
) -> Result<bool, StoreError> {
    let new = match mark.cursor {
        Some(cursor) => {
            let stored: Option<(i64, i64)> = sqlx::query_as(SELECT_CHECKPOINT)
                .bind(projection)
                .fetch_optional(&mut **tx)
                .await?;
            to_cursor(stored)? < cursor
        }
        None => {
            let stored: Option<i64> = sqlx::query_scalar(SELECT_APPLIED)
                .bind(projection)
                .bind(mark.aggregate_type)
                .bind(mark.aggregate_id)
                .fetch_optional(&mut **tx)
                .await?;
            let sequence = to_i64(mark.sequence)?;
            stored.is_none_or(|stored| stored < sequence)
        }
    };
    if !new {
        return Ok(false);
    }
    let row = match key {
        Some(key) => {
            let sql = sql::select_by_key(SQLITE, schema);
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
            let sql = sql::upsert(SQLITE, schema);
            let mut query = sqlx::query(&sql);
            for column in schema.columns {
                query = bind(query, column, row.get(column.name).unwrap_or(&Value::Null))?;
            }
            query.execute(&mut **tx).await?;
        }
        RowChange::Delete(key) => {
            let sql = sql::delete_by_key(SQLITE, schema);
            bind(sqlx::query(&sql), schema.key_column(), &key)?
                .execute(&mut **tx)
                .await?;
        }
    }
    match mark.cursor {
        Some(cursor) => {
            sqlx::query(
                "INSERT INTO eventwright_checkpoints (projection, transaction_id, position) \
                 VALUES (?, ?, ?) ON CONFLICT (projection) DO UPDATE \
                 SET transaction_id = excluded.transaction_id, position = excluded.position",
            )
            .bind(projection)
            .bind(to_i64(cursor.transaction)?)
            .bind(to_i64(cursor.position)?)
            .execute(&mut **tx)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO eventwright_applied \
                 (projection, aggregate_type, aggregate_id, sequence) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (projection, aggregate_type, aggregate_id) DO UPDATE \
                 SET sequence = excluded.sequence",
            )
            .bind(projection)
            .bind(mark.aggregate_type)
            .bind(mark.aggregate_id)
            .bind(to_i64(mark.sequence)?)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(true)
}

fn sql_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Bool | ColumnType::Int => "INTEGER",
        ColumnType::Float => "REAL",
        ColumnType::String
        | ColumnType::Decimal
        | ColumnType::Uuid
        | ColumnType::Timestamp
        | ColumnType::Date
        | ColumnType::Json => "TEXT",
    }
}

type SqliteQuery<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

fn bind<'q>(
    query: SqliteQuery<'q>,
    column: &ColumnDef,
    value: &Value,
) -> Result<SqliteQuery<'q>, StoreError> {
    let mismatch = || StoreError::Corrupt(format!("column `{}` cannot hold {value}", column.name));
    Ok(match (column.ty, value) {
        (_, Value::Null) => query.bind(None::<String>),
        (ColumnType::Json, value) => query.bind(value.to_string()),
        (ColumnType::Bool, Value::Bool(flag)) => query.bind(*flag),
        (ColumnType::Int, Value::Number(number)) => {
            query.bind(number.as_i64().ok_or_else(mismatch)?)
        }
        // Aggregate ids arrive as text; an integer key column still compares them as numbers.
        (ColumnType::Int, Value::String(text)) => {
            query.bind(text.parse::<i64>().map_err(|_| mismatch())?)
        }
        (ColumnType::Float, Value::Number(number)) => {
            query.bind(number.as_f64().ok_or_else(mismatch)?)
        }
        (_, Value::String(text)) => query.bind(text.clone()),
        // serde writes some decimals as numbers; keep the text form so ordering stays exact.
        (ColumnType::Decimal, Value::Number(number)) => query.bind(number.to_string()),
        _ => return Err(mismatch()),
    })
}

fn row_to_json(schema: &TableSchema, row: &SqliteRow) -> Result<Row, StoreError> {
    let mut json = Row::new();
    for column in schema.columns {
        let name = column.name;
        let value = match column.ty {
            ColumnType::Bool => row.try_get::<Option<bool>, _>(name)?.map(Value::Bool),
            ColumnType::Int => row.try_get::<Option<i64>, _>(name)?.map(Value::from),
            ColumnType::Float => row.try_get::<Option<f64>, _>(name)?.map(Value::from),
            ColumnType::Json => row
                .try_get::<Option<String>, _>(name)?
                .map(|text| serde_json::from_str(&text))
                .transpose()
                .map_err(|error| StoreError::Corrupt(format!("{}.{name}: {error}", schema.name)))?,
            _ => row.try_get::<Option<String>, _>(name)?.map(Value::String),
        };
        json.insert(name.to_owned(), value.unwrap_or(Value::Null));
    }
    Ok(json)
}
