//! Lists read through an [`Index`]: rows whose indexed columns hold given values, optionally
//! within a range of its order column, in either direction, one page at a time.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Page, PageRequest, QueryError, ReadModels, from_row, paged, to_value};
use crate::opaque;
use crate::projection::Projection;
use crate::store::{Find, ReadStore, Row, RowPosition};
use crate::table::Index;

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
            Some(text) => Some(decode(text, filter)?),
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
        let rows: Vec<Row> = self
            .generations
            .of(P::NAME)
            .await?
            .find(&P::SCHEMA, find)
            .await?;
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
    opaque::encode(&serde_json::to_value(cursor).unwrap_or_default())
}

fn decode(text: &str, filter: &Filter) -> Result<RowPosition, QueryError> {
    let invalid = |message: &str| QueryError::InvalidParameter {
        field: "cursor",
        message: message.to_owned(),
    };
    let cursor: FindCursor = opaque::decode(text)
        .and_then(|value| serde_json::from_value(value).ok())
        .ok_or_else(|| invalid("not a cursor this service returned"))?;
    if cursor.filter != *filter {
        return Err(invalid(
            "this cursor belongs to another list, or to this one with other parameters",
        ));
    }
    Ok(cursor.after)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(decode(&cursor, &filter).unwrap(), after);
        let other = Filter {
            descending: false,
            ..filter.clone()
        };
        assert!(matches!(
            decode(&cursor, &other),
            Err(QueryError::InvalidParameter {
                field: "cursor",
                ..
            })
        ));
        assert!(decode("7b7d", &filter).is_err());
    }
}
