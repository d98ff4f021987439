//! SQLite's side of the SQL stores: one writer at a time, and text for the values it has no
//! type for.

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use eventwright_tables::sql::Dialect;
use serde_json::Value;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row as _, Sqlite, SqlitePool};
use uuid::Uuid;

use crate::store::StoreError;
use crate::store::sql::{Arg, Backend, LogOrder, Rows, SqlRow, Tx, sqlx_connections};
use crate::store::timestamps::{ordered_text, serde_text};
use crate::table::{ColumnDef, ColumnType};

/// Positions are handed out in commit order: the log is read by position alone.
const LOG: LogOrder = LogOrder {
    transaction: "'0'",
    after: "position > ?2",
    settled: None,
    order: "position",
};

#[async_trait]
impl Backend for SqlitePool {
    type Pool<'a> = OnPool<'a>;
    type Tx = SqliteTx;

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn log_order(&self) -> &'static LogOrder {
        &LOG
    }

    fn pool(&self) -> OnPool<'_> {
        OnPool(self)
    }

    async fn begin(&self) -> Result<SqliteTx, StoreError> {
        // BEGIN IMMEDIATE takes SQLite's one write lock up front: writers take turns for the
        // whole transaction, so none decides on a read another is about to change, and none
        // fails half way on a lock it could not upgrade.
        Ok(SqliteTx(self.begin_with("BEGIN IMMEDIATE").await?))
    }

    async fn begin_writing(&self) -> Result<SqliteTx, StoreError> {
        // A plain BEGIN: the first statement writes, so it takes the write lock (waiting its
        // turn) before the transaction has read anything. sqlx checks a custom BEGIN on the
        // connection's thread afterwards, a round trip a command at a time would pay.
        Ok(SqliteTx(SqlitePool::begin(self).await?))
    }
}

sqlx_connections!(OnPool(&SqlitePool), SqliteTx(Sqlite), query, rows);

#[async_trait]
impl Tx for SqliteTx {
    async fn lock(&mut self, _: &str) -> Result<(), StoreError> {
        // The transaction holds the database's one write lock already.
        Ok(())
    }

    async fn commit(self) -> Result<(), StoreError> {
        Ok(self.0.commit().await?)
    }
}

type SqliteQuery<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

fn query<'q>(sql: &'q str, args: &[Arg<'q>]) -> Result<SqliteQuery<'q>, StoreError> {
    args.iter()
        .try_fold(sqlx::query(sql), |query, arg| bind(query, *arg))
}

fn bind<'q>(query: SqliteQuery<'q>, arg: Arg<'q>) -> Result<SqliteQuery<'q>, StoreError> {
    Ok(match arg {
        Arg::Int(number) => query.bind(number),
        Arg::Text(text) => query.bind(text),
        Arg::OptText(text) => query.bind(text),
        Arg::OptInt(number) => query.bind(number),
        Arg::Uuid(uuid) => query.bind(uuid.to_string()),
        Arg::Timestamp(at) => query.bind(at.to_rfc3339_opts(SecondsFormat::Micros, true)),
        Arg::Json(value) => query.bind(value.to_string()),
        Arg::Cell(column, value) => bind_cell(query, column, value)?,
    })
}

/// A read-model value as SQLite keeps its column's type.
fn bind_cell<'q>(
    query: SqliteQuery<'q>,
    column: &ColumnDef<'_>,
    value: &'q Value,
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
        (ColumnType::Timestamp, Value::String(text)) => {
            query.bind(ordered_text(text).ok_or_else(mismatch)?)
        }
        (_, Value::String(text)) => query.bind(text.as_str()),
        // serde writes some decimals as numbers; keep the text form so ordering stays exact.
        (ColumnType::Decimal, Value::Number(number)) => query.bind(number.to_string()),
        _ => return Err(mismatch()),
    })
}

fn rows(rows: Vec<SqliteRow>) -> Rows {
    rows.into_iter()
        .map(|row| Box::new(Row(row)) as Box<dyn SqlRow>)
        .collect()
}

struct Row(SqliteRow);

fn corrupt(column: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {error}"))
}

impl SqlRow for Row {
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn uuid(&self, column: &str) -> Result<Uuid, StoreError> {
        Uuid::parse_str(&self.text(column)?).map_err(|error| corrupt(column, error))
    }

    fn timestamp(&self, column: &str) -> Result<DateTime<Utc>, StoreError> {
        DateTime::parse_from_rfc3339(&self.text(column)?)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|error| corrupt(column, error))
    }

    fn json(&self, column: &str) -> Result<Value, StoreError> {
        serde_json::from_str(&self.text(column)?).map_err(|error| corrupt(column, error))
    }

    fn cell(&self, column: &ColumnDef<'_>) -> Result<Value, StoreError> {
        let name = column.name;
        let value = match column.ty {
            ColumnType::Bool => self.0.try_get::<Option<bool>, _>(name)?.map(Value::Bool),
            ColumnType::Int => self.0.try_get::<Option<i64>, _>(name)?.map(Value::from),
            ColumnType::Float => self.0.try_get::<Option<f64>, _>(name)?.map(Value::from),
            ColumnType::Json => self
                .0
                .try_get::<Option<String>, _>(name)?
                .map(|text| serde_json::from_str(&text))
                .transpose()
                .map_err(|error| corrupt(name, error))?,
            ColumnType::Timestamp => self
                .0
                .try_get::<Option<String>, _>(name)?
                .map(|text| Value::String(serde_text(text))),
            _ => self
                .0
                .try_get::<Option<String>, _>(name)?
                .map(Value::String),
        };
        Ok(value.unwrap_or(Value::Null))
    }
}
