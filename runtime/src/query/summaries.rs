//! A summary's groups: the rows of a projection counted, and some columns summed, per value of
//! a column.

use serde::Serialize;
use serde_json::Value;

use super::to_value;
use super::{Page, PageRequest, QueryError, ReadModels, cursor, page_bounds, paged};
use crate::projection::Projection;
use crate::store::{ReadStore, Row, StoreError};
use crate::table::Summary;

impl ReadModels {
    /// The group of `summary` (one of `P::SCHEMA.summaries`) holding `value`:
    /// `{<column>: value, "count": n, <each summed column>: its sum}`, all zero when no row
    /// holds it.
    pub async fn group<P: Projection>(
        &self,
        summary: &Summary<'_>,
        value: &impl Serialize,
    ) -> Result<Row, QueryError> {
        let value = to_value(value)?;
        let found = self
            .active::<P>()
            .await?
            .group(&P::SCHEMA, summary, &value)
            .await?;
        Ok(found.unwrap_or_else(|| {
            let mut empty = Row::new();
            empty.insert(summary.by.to_owned(), value);
            empty.insert("count".to_owned(), Value::from(0));
            for sum in summary.sums {
                empty.insert((*sum).to_owned(), Value::from(0));
            }
            empty
        }))
    }

    /// The groups of `summary`, one page at a time: in value order on the SQL stores, in the
    /// order of the value's token on Cassandra. Groups with no row left are not listed.
    pub async fn groups<P: Projection>(
        &self,
        summary: &Summary<'_>,
        page: &PageRequest,
    ) -> Result<Page<Row>, QueryError> {
        let by = P::SCHEMA.column(summary.by).ok_or_else(|| {
            StoreError::Unsupported(format!("{} has no column `{}`", P::NAME, summary.by))
        })?;
        let (limit, after) = page_bounds(page, by)?;
        let groups = self
            .active::<P>()
            .await?
            .groups(&P::SCHEMA, summary, after.as_ref(), limit + 1)
            .await?;
        paged(
            groups,
            limit,
            |group| group.get(summary.by).map(cursor::encode),
            Ok,
        )
    }
}
