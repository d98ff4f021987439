//! Values to and from PostgreSQL's typed columns, in the form serde reads and writes them.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{Column as _, Postgres, Row as _, TypeInfo as _};
use uuid::Uuid;

use crate::store::StoreError;
use crate::store::sql::{Arg, Rows, SqlRow};
use crate::table::{ColumnDef, ColumnType};

pub(super) type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

pub(super) fn query<'q>(sql: &'q str, args: &[Arg<'q>]) -> Result<PgQuery<'q>, StoreError> {
    args.iter()
        .try_fold(sqlx::query(sql), |query, arg| bind(query, *arg))
}

fn bind<'q>(query: PgQuery<'q>, arg: Arg<'q>) -> Result<PgQuery<'q>, StoreError> {
    Ok(match arg {
        Arg::Int(number) => query.bind(number),
        Arg::Text(text) => query.bind(text),
        Arg::OptText(text) => query.bind(text),
        Arg::OptInt(number) => query.bind(number),
        Arg::Uuid(uuid) => query.bind(uuid),
        Arg::Timestamp(at) => query.bind(at),
        Arg::Json(value) => query.bind(Json(value)),
        Arg::Cell(column, value) => bind_cell(query, column, value)?,
    })
}

/// Binds a JSON value as the column's SQL type; `null` binds as a typed null.
fn bind_cell<'q>(
    query: PgQuery<'q>,
    column: &ColumnDef<'_>,
    value: &'q Value,
) -> Result<PgQuery<'q>, StoreError> {
    let mismatch = || StoreError::Corrupt(format!("column `{}` cannot hold {value}", column.name));
    let text = value.as_str();
    let null = value.is_null();
    Ok(match column.ty {
        ColumnType::Json => query.bind((!null).then_some(Json(value))),
        ColumnType::String => query.bind(if null {
            None
        } else {
            Some(text.ok_or_else(mismatch)?)
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

pub(super) fn rows(rows: Vec<PgRow>) -> Rows {
    rows.into_iter()
        .map(|row| Box::new(Row(row)) as Box<dyn SqlRow>)
        .collect()
}

struct Row(PgRow);

impl SqlRow for Row {
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        // Versions are `INTEGER`, sequences and positions `BIGINT`.
        let found = self.0.try_column(column)?;
        Ok(match found.type_info().name() {
            "INT4" => i64::from(self.0.try_get::<i32, _>(column)?),
            _ => self.0.try_get(column)?,
        })
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
        Ok(self.0.try_get(column)?)
    }

    fn timestamp(&self, column: &str) -> Result<DateTime<Utc>, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    fn json(&self, column: &str) -> Result<Value, StoreError> {
        Ok(self.0.try_get(column)?)
    }

    /// A value back as JSON, in the form serde writes for its Rust type.
    fn cell(&self, column: &ColumnDef<'_>) -> Result<Value, StoreError> {
        let row = &self.0;
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
        Ok(value.unwrap_or(Value::Null))
    }
}

fn serde_value(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}
