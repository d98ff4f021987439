//! Page cursors: where the previous page ended, handed to clients opaque and taken back
//! checked. A cursor comes back from outside, so one that was made up or edited must be refused
//! as a bad parameter, never reach a store as a value its column cannot hold.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use super::QueryError;
use crate::opaque;
use crate::table::{ColumnDef, ColumnType};

/// The cursor of a page that ended at `value`.
pub(super) fn encode(value: &Value) -> String {
    opaque::encode(value)
}

/// The value a cursor of `column` ended at.
pub(super) fn decode(text: &str, column: &ColumnDef<'_>) -> Result<Value, QueryError> {
    let value = decode_any(text)?;
    check(column, &value)?;
    Ok(value)
}

/// A cursor's JSON, unchecked: for cursors whose parts the caller checks.
pub(super) fn decode_any(text: &str) -> Result<Value, QueryError> {
    opaque::decode(text).ok_or_else(|| invalid("not a cursor this service returned"))
}

/// Refuses a cursor whose value `column` cannot hold.
pub(super) fn check(column: &ColumnDef<'_>, value: &Value) -> Result<(), QueryError> {
    if fits(column.ty, value) {
        Ok(())
    } else {
        Err(invalid("not a cursor this service returned"))
    }
}

pub(super) fn invalid(message: &str) -> QueryError {
    QueryError::InvalidParameter {
        field: "cursor",
        message: message.to_owned(),
    }
}

/// Whether a value of a row's column could be `value`, as the stores bind it. Null never is: a
/// page ends at a key or at an order column's value, and neither may be missing.
fn fits(ty: ColumnType, value: &Value) -> bool {
    let text = value.as_str();
    match ty {
        ColumnType::Json => !value.is_null(),
        ColumnType::String => text.is_some(),
        ColumnType::Bool => value.is_boolean(),
        // Aggregate ids arrive as text; an integer key still takes them.
        ColumnType::Int => value.is_i64() || text.is_some_and(|text| text.parse::<i64>().is_ok()),
        ColumnType::Float => value.is_number(),
        ColumnType::Decimal => match text {
            Some(text) => Decimal::from_str(text).is_ok(),
            None => value.is_number(),
        },
        ColumnType::Uuid => text.is_some_and(|text| Uuid::parse_str(text).is_ok()),
        ColumnType::Timestamp => {
            text.is_some_and(|text| DateTime::parse_from_rfc3339(text).is_ok())
        }
        ColumnType::Date => text.is_some_and(|text| NaiveDate::from_str(text).is_ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(ty: ColumnType) -> ColumnDef<'static> {
        ColumnDef {
            name: "c",
            ty,
            nullable: false,
        }
    }

    #[test]
    fn a_cursor_round_trips() {
        let key = Value::from("sku-1");
        let text = encode(&key);
        assert_eq!(decode(&text, &column(ColumnType::String)).unwrap(), key);
    }

    #[test]
    fn garbage_is_no_cursor() {
        for garbage in ["", "zz", "abc", "7b"] {
            assert!(matches!(
                decode_any(garbage),
                Err(QueryError::InvalidParameter {
                    field: "cursor",
                    ..
                })
            ));
        }
    }

    #[test]
    fn a_made_up_cursor_is_a_bad_parameter() {
        // "30" is the JSON `0`: a cursor, but not one a text key could have ended at.
        for (ty, text) in [
            (ColumnType::String, "30"),
            (ColumnType::Uuid, &encode(&Value::from("not-a-uuid"))),
            (ColumnType::Timestamp, &encode(&Value::from("yesterday"))),
            (ColumnType::Date, &encode(&Value::from(7))),
            (ColumnType::Int, &encode(&Value::from("seven"))),
            (ColumnType::Decimal, &encode(&Value::from("1..2"))),
            (ColumnType::Json, &encode(&Value::Null)),
            (ColumnType::String, "zz"),
        ] {
            assert!(
                matches!(
                    decode(text, &column(ty)),
                    Err(QueryError::InvalidParameter {
                        field: "cursor",
                        ..
                    })
                ),
                "{ty:?} took {text}"
            );
        }
    }

    #[test]
    fn values_the_stores_write_fit() {
        for (ty, value) in [
            (ColumnType::Int, Value::from("42")),
            (ColumnType::Int, Value::from(42)),
            (ColumnType::Decimal, Value::from("12.50")),
            (ColumnType::Decimal, Value::from(12.5)),
            (
                ColumnType::Uuid,
                Value::from("67e55044-10b1-426f-9247-bb680e5fe0c8"),
            ),
            (ColumnType::Timestamp, Value::from("2026-12-06T19:14:44Z")),
            (ColumnType::Date, Value::from("2026-12-06")),
        ] {
            assert!(fits(ty, &value), "{ty:?} refused {value}");
        }
    }
}
