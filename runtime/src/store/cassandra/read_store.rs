//! The Cassandra read store: see the [module docs](super).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use eventwright_tables::{Step, cql};
use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};
use scylla::client::session::Session;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlValue;
use serde_json::Value;
use tokio::sync::RwLock;

use super::CassandraConfig;
use super::batch::ROWS_AT_ONCE;
use super::rows::{Carried, is_empty_text};
use super::statements::{self, Bound};
use super::values::{column, from_cql, marker, to_cql};
use crate::store::entries::term_text;
use crate::store::integers::{to_cursor, to_i64, to_u64};
use crate::store::{
    Cursor, Decide, Find, Mark, ReadStore, Row, RowChange, RowPosition, StoreError, Update,
};
use crate::table::{Index, Summary, TableSchema};

pub struct CassandraReadStore {
    pub(super) session: Arc<Session>,
    pub(super) config: CassandraConfig,
    /// Prepared once per statement text.
    pub(super) prepared: RwLock<HashMap<String, PreparedStatement>>,
}

impl std::fmt::Debug for CassandraReadStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CassandraReadStore")
            .field("nodes", &self.config.nodes)
            .field("keyspace", &self.config.keyspace)
            .finish_non_exhaustive()
    }
}

impl CassandraReadStore {
    pub fn new(session: Arc<Session>, config: CassandraConfig) -> Self {
        Self {
            session,
            config,
            prepared: RwLock::default(),
        }
    }
}

#[async_trait]
impl ReadStore for CassandraReadStore {
    async fn prepare_bookkeeping(&self) -> Result<(), StoreError> {
        let steps = cql::read_store(&self.config.keyspace)
            .into_iter()
            .flat_map(|migration| migration.steps);
        let statements = steps
            .map(|step| match step {
                Step::Sql(statement) => Ok(statement),
                // CQL tables gain columns by `ALTER TABLE ... ADD`, which has no idempotent
                // form; the Cassandra read store has needed none so far.
                Step::AddColumn { table, column, .. } => Err(StoreError::Corrupt(format!(
                    "no way to add {table}.{column} to a Cassandra table idempotently"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.run_all(statements).await
    }

    async fn prepare(&self, schema: &TableSchema<'_>) -> Result<(), StoreError> {
        cql::check(schema).map_err(StoreError::Unsupported)?;
        self.prepare_bookkeeping().await?;
        self.run_all(cql::projection_tables(&self.config.keyspace, schema))
            .await
    }

    async fn active(&self, projection: &str) -> Result<u64, StoreError> {
        let rows = self
            .rows(
                statements::select_generation(&self.config.keyspace),
                vec![Some(CqlValue::Text(projection.to_owned()))],
            )
            .await?;
        match rows.first().and_then(|row| row.columns.first()) {
            Some(Some(CqlValue::BigInt(generation))) => to_u64(*generation),
            _ => Ok(0),
        }
    }

    async fn activate(&self, projection: &str, generation: u64) -> Result<(), StoreError> {
        let generation = to_i64(generation)?;
        self.execute(
            statements::activate_generation(&self.config.keyspace),
            vec![
                Some(CqlValue::BigInt(generation)),
                Some(CqlValue::BigInt(generation)),
                Some(CqlValue::Text(projection.to_owned())),
            ],
        )
        .await?;
        Ok(())
    }

    async fn save_checkpoint(&self, projection: &str, cursor: Cursor) -> Result<(), StoreError> {
        // Only a replay saves this way, one at a time per generation; a later cursor is all it
        // ever writes.
        if self.checkpoint(projection).await? < cursor {
            self.move_checkpoint(projection, cursor).await?;
        }
        Ok(())
    }

    async fn drop_projection(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
    ) -> Result<(), StoreError> {
        let keyspace = &self.config.keyspace;
        self.run_all(statements::drop_tables(keyspace, schema))
            .await?;
        self.execute(
            statements::delete_checkpoint(keyspace),
            vec![Some(CqlValue::Text(projection.to_owned()))],
        )
        .await?;
        let forget = format!(
            "DELETE FROM {} WHERE table_name = ?",
            cql::table(keyspace, "eventwright_shapes")
        );
        self.execute(forget, vec![Some(CqlValue::Text(schema.name.to_owned()))])
            .await?;
        Ok(())
    }

    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError> {
        let rows = self
            .rows(
                statements::select_checkpoint(&self.config.keyspace),
                vec![Some(CqlValue::Text(projection.to_owned()))],
            )
            .await?;
        let stored = rows.into_iter().next().map(|row| {
            let number = |value: Option<&Option<CqlValue>>| match value {
                Some(Some(CqlValue::BigInt(n))) => *n,
                _ => 0,
            };
            (number(row.columns.first()), number(row.columns.get(1)))
        });
        to_cursor(stored)
    }

    async fn progress(
        &self,
        schema: &TableSchema<'_>,
        _: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<u64, StoreError> {
        let rows = self
            .rows(
                statements::select_progress(&self.config.keyspace, schema),
                vec![Some(CqlValue::Text(marker(aggregate_type, aggregate_id)))],
            )
            .await?;
        match rows.first().and_then(|row| row.columns.first()) {
            Some(Some(CqlValue::BigInt(sequence))) => to_u64(*sequence),
            _ => Ok(0),
        }
    }

    async fn get(&self, schema: &TableSchema<'_>, key: &Value) -> Result<Option<Row>, StoreError> {
        Ok(self
            .read(schema, key)
            .await?
            .filter(|stored| !stored.deleted)
            .map(|stored| stored.data))
    }

    async fn update(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        mark: Mark<'_>,
        key: Option<&Value>,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError> {
        if let Some(cursor) = mark.cursor
            && self.checkpoint(projection).await? >= cursor
        {
            return Ok(false);
        }
        let applied = self
            .write_row(schema, mark, key, decide, &Carried::new())
            .await?
            .applied();
        // Recorded after the row, so a crash between the two only makes a reader wait for a
        // redelivery; it never shows a row as caught up before it is.
        match mark.cursor {
            Some(cursor) => self.move_checkpoint(projection, cursor).await?,
            None => self.move_progress(schema, mark).await?,
        }
        Ok(applied)
    }

    async fn update_many(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        updates: Vec<Update<'_>>,
    ) -> Result<Vec<bool>, StoreError> {
        self.write_batch(schema, projection, updates).await
    }

    async fn update_where(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        mark: Mark<'_>,
        column: &str,
        value: &Value,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError> {
        // The event's own mark, moved once every row is written, says it was applied whole:
        // a row that came to hold the value since must not take it on a redelivery.
        let done = match mark.cursor {
            Some(cursor) => self.checkpoint(projection).await? >= cursor,
            None => {
                self.progress(schema, projection, mark.aggregate_type, mark.aggregate_id)
                    .await?
                    >= mark.sequence
            }
        };
        if done {
            return Ok(false);
        }
        // The rows holding the value, from the column's list table: each written as `update`
        // writes one, its own marks skipping it when a redelivery finds it applied already
        // (after a crash between its rows and the event's mark).
        let index = schema
            .indexes
            .iter()
            .find(|index| index.is_by(column))
            .ok_or_else(|| {
                StoreError::Unsupported(format!(
                    "{} has no index by `{column}` alone to find the rows holding a value",
                    schema.name
                ))
            })?;
        let mut keys: Vec<Value> = Vec::new();
        let equal = [value.clone()];
        loop {
            let after = keys.last().map(|key| RowPosition {
                order: None,
                key: key.clone(),
            });
            let page = self
                .find(
                    schema,
                    Find {
                        index,
                        equal: &equal,
                        from: None,
                        before: None,
                        descending: false,
                        after: after.as_ref(),
                        limit: WHERE_PAGE,
                    },
                )
                .await?;
            let read = page.len();
            keys.extend(
                page.into_iter()
                    .filter_map(|row| row.get(schema.key).cloned()),
            );
            if read < WHERE_PAGE {
                break;
            }
        }
        // Each row is written as `update` writes one, and they hold different keys: at once.
        let no_marks = Carried::new();
        let writes: Vec<_> = keys
            .iter()
            .map(|key| {
                // A list can be behind its rows (another projector moved a row on since, or
                // stopped between a row and its lists): a row is changed only while it holds
                // the value, and one gone since stays gone.
                let each: Decide<'_> = Box::new(|row| match row {
                    Some(row) if holds(schema, &row, column, value) => decide(Some(row)),
                    _ => Ok(RowChange::None),
                });
                self.write_row(schema, mark, Some(key), each, &no_marks)
            })
            .collect();
        let applied = stream::iter(writes)
            .buffer_unordered(ROWS_AT_ONCE)
            .try_fold(keys.is_empty(), |applied, wrote| async move {
                Ok(applied | wrote.applied())
            })
            .await?;
        match mark.cursor {
            Some(cursor) => self.move_checkpoint(projection, cursor).await?,
            None => self.move_progress(schema, mark).await?,
        }
        Ok(applied)
    }

    async fn find(&self, schema: &TableSchema<'_>, find: Find<'_>) -> Result<Vec<Row>, StoreError> {
        find.check(schema)?;
        if !find.index.is_expanded() && find.equal.iter().any(is_empty_text) {
            // No partition is keyed by empty text: no row is listed under it.
            return Ok(Vec::new());
        }
        let mut values = Vec::new();
        for (name, value) in find.index.equal.iter().zip(find.equal) {
            values.push(if find.index.is_expanded() {
                Some(CqlValue::Text(term_text(value)))
            } else {
                to_cql(column(schema, name)?, value)?
            });
        }
        let key = schema.key_column();
        let after_key = find.index.order.is_none() && find.after.is_some();
        let mut bounds = (Bound::None, Bound::None);
        if let Some(order) = find.index.order {
            let order = column(schema, order)?;
            // The previous page's end bounds the side the page moves towards; the range's
            // other end, the other side.
            let past = find.after.map(|after| {
                let value = after.order.as_ref().unwrap_or(&Value::Null);
                Ok::<_, StoreError>([to_cql(order, value)?, to_cql(key, &after.key)?])
            });
            let at = |bound: Option<&Value>| bound.map(|value| to_cql(order, value)).transpose();
            let (from, before) = (at(find.from)?, at(find.before)?);
            let (start, end) = if find.descending {
                (
                    from.map(|v| vec![v]),
                    past.map(|p| p.map(Vec::from))
                        .transpose()?
                        .or(before.map(|v| vec![v])),
                )
            } else {
                (
                    past.map(|p| p.map(Vec::from))
                        .transpose()?
                        .or(from.map(|v| vec![v])),
                    before.map(|v| vec![v]),
                )
            };
            let kind = |bound: &Option<Vec<Option<CqlValue>>>| match bound.as_ref().map(Vec::len) {
                None => Bound::None,
                Some(1) => Bound::Order,
                Some(_) => Bound::Past,
            };
            bounds = (kind(&start), kind(&end));
            values.extend(start.into_iter().chain(end).flatten());
        } else if let Some(after) = find.after {
            values.push(to_cql(key, &after.key)?);
        }
        values.push(Some(CqlValue::Int(
            i32::try_from(find.limit).unwrap_or(i32::MAX),
        )));
        let text = statements::find(
            &self.config.keyspace,
            schema,
            find.index,
            bounds,
            after_key,
            find.descending,
        );
        self.rows(text, values)
            .await?
            .into_iter()
            .map(|row| data_of(schema, row.columns.into_iter()))
            .collect()
    }

    async fn group(
        &self,
        schema: &TableSchema<'_>,
        summary: &Summary<'_>,
        value: &Value,
    ) -> Result<Option<Row>, StoreError> {
        // Added up when asked, from the group's partition of the index by its column: counters
        // would count a redelivered event twice.
        let index = summary_index(schema, summary)?;
        let equal = [value.clone()];
        let mut count = 0_i64;
        let mut sums: Vec<Value> = vec![Value::from(0); summary.sums.len()];
        let mut after: Option<RowPosition> = None;
        loop {
            let page = self
                .find(
                    schema,
                    Find {
                        after: after.as_ref(),
                        ..Find::new(index, &equal, GROUP_PAGE)
                    },
                )
                .await?;
            for row in &page {
                count += 1;
                for (sum, column) in sums.iter_mut().zip(summary.sums) {
                    *sum = plus(sum, row.get(*column).unwrap_or(&Value::Null));
                }
            }
            after = page
                .last()
                .and_then(|row| RowPosition::of(schema, index, row));
            if page.len() < GROUP_PAGE {
                break;
            }
        }
        if count == 0 {
            return Ok(None);
        }
        let mut group = Row::new();
        group.insert(summary.by.to_owned(), value.clone());
        group.insert("count".to_owned(), Value::from(count));
        for (column, sum) in summary.sums.iter().zip(sums) {
            group.insert((*column).to_owned(), sum);
        }
        Ok(Some(group))
    }

    async fn groups(
        &self,
        schema: &TableSchema<'_>,
        summary: &Summary<'_>,
        after: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        let index = summary_index(schema, summary)?;
        let by = column(schema, summary.by)?;
        let mut values = Vec::new();
        if let Some(after) = after {
            values.push(to_cql(by, after)?);
        }
        values.push(Some(CqlValue::Int(
            i32::try_from(limit).unwrap_or(i32::MAX),
        )));
        let text =
            statements::distinct_groups(&self.config.keyspace, schema, index, after.is_some());
        let mut groups = Vec::new();
        for row in self.rows(text, values).await? {
            let value = from_cql(by, row.columns.into_iter().next().flatten())?;
            if let Some(group) = self.group(schema, summary, &value).await? {
                groups.push(group);
            }
        }
        Ok(groups)
    }

    async fn shape(&self, schema: &TableSchema<'_>) -> Result<Option<String>, StoreError> {
        let text = format!(
            "SELECT shape FROM {} WHERE table_name = ?",
            cql::table(&self.config.keyspace, "eventwright_shapes")
        );
        let rows = self
            .rows(text, vec![Some(CqlValue::Text(schema.name.to_owned()))])
            .await?;
        Ok(rows
            .into_iter()
            .next()
            .and_then(|row| match row.columns.into_iter().next().flatten() {
                Some(CqlValue::Text(shape)) => Some(shape),
                _ => None,
            }))
    }

    async fn record_shape(&self, schema: &TableSchema<'_>) -> Result<(), StoreError> {
        let text = format!(
            "UPDATE {} SET shape = ? WHERE table_name = ?",
            cql::table(&self.config.keyspace, "eventwright_shapes")
        );
        self.execute(
            text,
            vec![
                Some(CqlValue::Text(schema.shape())),
                Some(CqlValue::Text(schema.name.to_owned())),
            ],
        )
        .await?;
        Ok(())
    }

    async fn list_all(
        &self,
        schema: &TableSchema<'_>,
        after_key: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        // A deleted row stays in the table with its marks: pages skip it, reading on (a whole
        // page at a time, however few rows are missing) until they hold `limit` rows or the
        // table ends.
        let mut found = Vec::new();
        let mut after = after_key.cloned();
        while found.len() < limit {
            let mut values = Vec::new();
            if let Some(key) = &after {
                values.push(to_cql(schema.key_column(), key)?);
            }
            values.push(Some(CqlValue::Int(
                i32::try_from(limit).unwrap_or(i32::MAX),
            )));
            let text = statements::list_all(&self.config.keyspace, schema, after.is_some());
            let rows = self.rows(text, values).await?;
            let read = rows.len();
            for row in rows {
                let mut columns = row.columns.into_iter();
                let data = data_of(schema, columns.by_ref())?;
                after = data.get(schema.key).cloned();
                if !matches!(columns.next().flatten(), Some(CqlValue::Boolean(true))) {
                    found.push(data);
                }
                if found.len() == limit {
                    break;
                }
            }
            if read < limit {
                break;
            }
        }
        Ok(found)
    }
}

/// How many rows one read of a group's partition takes when a summary adds it up.
const GROUP_PAGE: usize = 1000;

/// The index by `summary`'s column, which the table must declare.
fn summary_index<'a>(
    schema: &'a TableSchema<'_>,
    summary: &Summary<'_>,
) -> Result<&'a Index<'a>, StoreError> {
    if !schema.summaries.contains(summary) {
        return Err(StoreError::Unsupported(format!(
            "{} declares no summary by `{}`",
            schema.name, summary.by
        )));
    }
    schema
        .indexes
        .iter()
        .find(|index| index.is_by(summary.by))
        .ok_or_else(|| {
            StoreError::Unsupported(format!(
                "{} has no index by `{}` to add its groups up from",
                schema.name, summary.by
            ))
        })
}

/// Whether `row`'s `column` holds `value`, compared as Cassandra keeps them (as the list was
/// searched): `"5"` for an int column is 5, a decimal's text its number, and so on.
fn holds(schema: &TableSchema<'_>, row: &Row, column: &str, value: &Value) -> bool {
    let Ok(def) = super::values::column(schema, column) else {
        return false;
    };
    let held = row.get(column).unwrap_or(&Value::Null);
    matches!(
        (to_cql(def, held), to_cql(def, value)),
        (Ok(held), Ok(wanted)) if held == wanted
    )
}

/// `sum + value`, both JSON numbers: whole while both are whole.
fn plus(sum: &Value, value: &Value) -> Value {
    match (sum.as_i64(), value.as_i64()) {
        (Some(a), Some(b)) => Value::from(a.saturating_add(b)),
        _ => Value::from(sum.as_f64().unwrap_or(0.0) + value.as_f64().unwrap_or(0.0)),
    }
}

/// How many keys one read of a list table takes when an event changes every row it lists.
const WHERE_PAGE: usize = 500;

/// A row's data columns, the first of `columns`, in the schema's order.
fn data_of(
    schema: &TableSchema<'_>,
    columns: impl Iterator<Item = Option<CqlValue>>,
) -> Result<Row, StoreError> {
    let mut data = Row::new();
    for (column, value) in schema.columns.iter().zip(columns) {
        data.insert(column.name.to_owned(), from_cql(column, value)?);
    }
    Ok(data)
}
