//! Row values between serde JSON, as projections see them, and CQL; and how rows name their
//! columns and the aggregates they mark.

use chrono::NaiveDate;
use scylla::value::{CqlDate, CqlValue};
use serde_json::Value;

use crate::store::StoreError;
use crate::store::timestamps::{ordered_text, serde_text};
use crate::table::{ColumnDef, ColumnType, TableSchema};

/// `value` for `column`; `None` is CQL null.
pub(super) fn to_cql(
    column: &ColumnDef<'_>,
    value: &Value,
) -> Result<Option<CqlValue>, StoreError> {
    let mismatch = || StoreError::Corrupt(format!("column `{}` cannot hold {value}", column.name));
    Ok(Some(match (column.ty, value) {
        (_, Value::Null) => return Ok(None),
        (ColumnType::Json, value) => CqlValue::Text(value.to_string()),
        (ColumnType::Bool, Value::Bool(flag)) => CqlValue::Boolean(*flag),
        (ColumnType::Int, Value::Number(number)) => {
            CqlValue::BigInt(number.as_i64().ok_or_else(mismatch)?)
        }
        // Aggregate ids arrive as text; an integer key column still holds them as numbers.
        (ColumnType::Int, Value::String(text)) => {
            CqlValue::BigInt(text.parse().map_err(|_| mismatch())?)
        }
        (ColumnType::Float, Value::Number(number)) => {
            CqlValue::Double(number.as_f64().ok_or_else(mismatch)?)
        }
        (ColumnType::Uuid, Value::String(text)) => {
            CqlValue::Uuid(text.parse().map_err(|_| mismatch())?)
        }
        (ColumnType::Date, Value::String(text)) => {
            let date: NaiveDate = text.parse().map_err(|_| mismatch())?;
            CqlValue::Date(to_cql_date(date))
        }
        (ColumnType::Decimal, Value::Number(number)) => CqlValue::Text(number.to_string()),
        (ColumnType::Timestamp, Value::String(text)) => {
            CqlValue::Text(ordered_text(text).ok_or_else(mismatch)?)
        }
        (ColumnType::String | ColumnType::Decimal, Value::String(text)) => {
            CqlValue::Text(text.clone())
        }
        _ => return Err(mismatch()),
    }))
}

/// A stored CQL value back as the JSON serde reads for `column`.
pub(super) fn from_cql(
    column: &ColumnDef<'_>,
    value: Option<CqlValue>,
) -> Result<Value, StoreError> {
    let corrupt = |what: &dyn std::fmt::Debug| {
        StoreError::Corrupt(format!("column `{}` holds {what:?}", column.name))
    };
    Ok(match value {
        None => Value::Null,
        Some(CqlValue::Text(text)) if column.ty == ColumnType::Json => {
            serde_json::from_str(&text).map_err(|error| corrupt(&error))?
        }
        Some(CqlValue::Text(text)) if column.ty == ColumnType::Timestamp => {
            Value::String(serde_text(text))
        }
        Some(CqlValue::Text(text)) => Value::String(text),
        Some(CqlValue::Boolean(flag)) => Value::Bool(flag),
        Some(CqlValue::BigInt(number)) => Value::from(number),
        Some(CqlValue::Double(number)) => Value::from(number),
        Some(CqlValue::Uuid(uuid)) => Value::String(uuid.to_string()),
        Some(CqlValue::Date(date)) => Value::String(from_cql_date(date)?.to_string()),
        Some(other) => return Err(corrupt(&other)),
    })
}

/// CQL counts days from 2^31 days before the Unix epoch.
const EPOCH_DAY: i64 = 1 << 31;

fn to_cql_date(date: NaiveDate) -> CqlDate {
    let days = date.signed_duration_since(NaiveDate::default()).num_days();
    // Every chrono date is within CQL's range of ±2^31 days.
    CqlDate(u32::try_from(days + EPOCH_DAY).expect("a chrono date fits CQL's range"))
}

fn from_cql_date(date: CqlDate) -> Result<NaiveDate, StoreError> {
    let days = i64::from(date.0) - EPOCH_DAY;
    NaiveDate::default()
        .checked_add_signed(chrono::Duration::days(days))
        .ok_or_else(|| StoreError::Corrupt(format!("date {days} days from 1970 is out of range")))
}

/// How a row's applied map and the progress table name an aggregate.
pub(super) fn marker(aggregate_type: &str, aggregate_id: &str) -> String {
    format!("{aggregate_type}/{aggregate_id}")
}

pub(super) fn column<'a>(
    schema: &TableSchema<'a>,
    field: &str,
) -> Result<&'a ColumnDef<'a>, StoreError> {
    schema
        .column(field)
        .ok_or_else(|| StoreError::Corrupt(format!("{} has no column `{field}`", schema.name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_cql_days() {
        for text in ["1970-01-01", "2026-11-27", "1900-02-28", "9999-12-31"] {
            let date: NaiveDate = text.parse().unwrap();
            assert_eq!(from_cql_date(to_cql_date(date)).unwrap(), date);
        }
        assert_eq!(to_cql_date(NaiveDate::default()).0, 1 << 31);
    }
}
