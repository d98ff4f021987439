//! Lists read through an [`Index`]: rows whose indexed columns hold given values, optionally
//! within a range of its order column, in either direction, one page at a time.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Page, PageRequest, QueryError, ReadModels, cursor, from_row, paged, to_value};
use crate::projection::Projection;
use crate::store::{Find, ReadStore, Row, RowPosition};
use crate::table::{Index, TableSchema};

/// What a list reads from an index, besides the page: the values its `equal` columns must hold
/// and the range and direction of its order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// One value per `equal` column of the index, in its order.
    pub equal: Vec<Value>,
    /// Rows whose order column is at least this (`?from=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    /// Rows whose order column is less than this (`?before=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Greatest first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub descending: bool,
}

/// A page's cursor: where it ended, and the filter it belongs to, so that a cursor passed to
/// another list (or the same with other parameters) is refused rather than read wrongly.
#[derive(Serialize, Deserialize)]
struct FindCursor {
    after: RowPosition,
    filter: Filter,
}

impl ReadModels {
    /// The rows of `P` that `index` (one of `P::SCHEMA.indexes`) finds with `filter`, one page
    /// at a time, in the index's order: by its order column, then the key.
    pub async fn find<P: Projection>(
        &self,
        index: &Index<'_>,
        filter: &Filter,
        page: &PageRequest,
    ) -> Result<Page<P>, QueryError> {
        let limit = super::page_limit(page)?;
        let after = match page.cursor.as_deref() {
            Some(text) => Some(decode(text, filter, &P::SCHEMA, index)?),
            None => None,
        };
        let find = Find {
            index,
            equal: &filter.equal,
            from: filter.from.as_ref(),
            before: filter.before.as_ref(),
            descending: filter.descending,
            after: after.as_ref(),
            // One row more than asked tells whether another page follows.
            limit: limit + 1,
        };
        let rows: Vec<Row> = self.active::<P>().await?.find(&P::SCHEMA, find).await?;
        paged(
            rows,
            limit,
            |row| RowPosition::of(&P::SCHEMA, index, row).map(|after| encode(after, filter)),
            from_row::<P>,
        )
    }

    /// The rows of `P` whose `field` equals `value`, in key order, one page at a time: a find on
    /// the index by `field` alone.
    pub async fn list<P: Projection>(
        &self,
        field: &str,
        value: &impl Serialize,
        page: &PageRequest,
    ) -> Result<Page<P>, QueryError> {
        let index = P::SCHEMA
            .indexes
            .iter()
            .find(|index| index.is_by(field))
            .ok_or_else(|| QueryError::InvalidParameter {
                field: "field",
                message: format!("{} has no index by `{field}`", P::NAME),
            })?;
        let filter = Filter {
            equal: vec![to_value(value)?],
            ..Filter::default()
        };
        self.find::<P>(index, &filter, page).await
    }
}

fn encode(after: RowPosition, filter: &Filter) -> String {
    let cursor = FindCursor {
        after,
        filter: filter.clone(),
    };
    cursor::encode(&serde_json::to_value(cursor).unwrap_or_default())
}

/// Where the page `text` ended, if it is a cursor of this filter on `index` whose values its
/// columns can hold.
fn decode(
    text: &str,
    filter: &Filter,
    schema: &TableSchema<'_>,
    index: &Index<'_>,
) -> Result<RowPosition, QueryError> {
    let cursor: FindCursor = serde_json::from_value(cursor::decode_any(text)?)
        .map_err(|_| cursor::invalid("not a cursor this service returned"))?;
    if cursor.filter != *filter {
        return Err(cursor::invalid(
            "this cursor belongs to another list, or to this one with other parameters",
        ));
    }
    let after = cursor.after;
    cursor::check(schema.key_column(), &after.key)?;
    match (
        index.order.and_then(|order| schema.column(order)),
        &after.order,
    ) {
        (Some(column), Some(value)) => cursor::check(column, value)?,
        (None, None) => {}
        _ => return Err(cursor::invalid("not a cursor this service returned")),
    }
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{ColumnDef, ColumnType};

    const LOANS: TableSchema<'static> = TableSchema {
        name: "loans",
        key: "loan_id",
        columns: &[
            ColumnDef {
                name: "loan_id",
                ty: ColumnType::String,
                nullable: false,
            },
            ColumnDef {
                name: "member_id",
                ty: ColumnType::String,
                nullable: false,
            },
            ColumnDef {
                name: "due_on",
                ty: ColumnType::Date,
                nullable: false,
            },
        ],
        indexes: &[BY_DUE, BY_MEMBER],
        summaries: &[],
    };
    const BY_DUE: Index<'static> = Index {
        equal: &["member_id"],
        order: Some("due_on"),
    };
    const BY_MEMBER: Index<'static> = Index {
        equal: &["member_id"],
        order: None,
    };

    fn refused(result: Result<RowPosition, QueryError>) -> bool {
        matches!(
            result,
            Err(QueryError::InvalidParameter {
                field: "cursor",
                ..
            })
        )
    }

    #[test]
    fn cursors_belong_to_their_filter() {
        let filter = Filter {
            equal: vec![Value::from("m-1")],
            from: Some(Value::from("2026-12-01")),
            before: None,
            descending: true,
        };
        let after = RowPosition {
            order: Some(Value::from("2026-12-03")),
            key: Value::from("loan-7"),
        };
        let cursor = encode(after.clone(), &filter);
        assert_eq!(decode(&cursor, &filter, &LOANS, &BY_DUE).unwrap(), after);
        let other = Filter {
            descending: false,
            ..filter.clone()
        };
        assert!(refused(decode(&cursor, &other, &LOANS, &BY_DUE)));
        assert!(refused(decode("7b7d", &filter, &LOANS, &BY_DUE)));
    }

    #[test]
    fn a_cursor_its_columns_cannot_hold_is_refused() {
        let filter = Filter {
            equal: vec![Value::from("m-1")],
            ..Filter::default()
        };
        let made_up = [
            RowPosition {
                order: Some(Value::from("soon")),
                key: Value::from("loan-7"),
            },
            RowPosition {
                order: Some(Value::from("2026-12-03")),
                key: Value::from(7),
            },
            // An index with an order ends its pages at an order value.
            RowPosition {
                order: None,
                key: Value::from("loan-7"),
            },
        ];
        for after in made_up {
            let cursor = encode(after.clone(), &filter);
            assert!(
                refused(decode(&cursor, &filter, &LOANS, &BY_DUE)),
                "{after:?}"
            );
        }
        let ordered = encode(
            RowPosition {
                order: Some(Value::from("2026-12-03")),
                key: Value::from("loan-7"),
            },
            &filter,
        );
        assert!(refused(decode(&ordered, &filter, &LOANS, &BY_MEMBER)));
    }
}
