//! Writing one row without transactions: read it, decide, compare-and-set it on its version,
//! then bring its list tables in line. See the [module docs](super).

use std::collections::HashMap;

use scylla::value::CqlValue;
use serde_json::Value;

use super::read_store::CassandraReadStore;
use super::statements;
use super::values::{column, from_cql, marker, to_cql};
use crate::store::entries::{entries, term_text};
use crate::store::integers::to_i64;
use crate::store::{Cursor, Decide, Mark, Row, RowChange, StoreError};
use crate::table::{Index, TableSchema};

/// How many times a write that lost a race on its row is decided again before giving up (the
/// projector then retries the event as a whole). With the growing waits between them, about
/// five seconds of contention.
const CONTENDED_ATTEMPTS: u32 = 32;

/// What writing one event's row came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wrote {
    /// The row's marks show the event applied already.
    Skipped,
    /// The event's decision was to leave the row as it is: nothing was written, not even its
    /// mark (see [`CassandraReadStore::write_row`]'s `carried`).
    Kept,
    /// The row was written with the event's mark.
    Changed,
}

impl Wrote {
    /// Whether the event was applied now, as [`crate::store::ReadStore::update`] answers.
    pub(super) fn applied(self) -> bool {
        self != Wrote::Skipped
    }
}

/// The marks of events decided on a row without changing it, written with the row's next
/// change: per aggregate (its marker), the sequence of the last such event.
pub(super) type Carried = HashMap<String, i64>;

/// A main-table row as read: the data, and its bookkeeping.
pub(super) struct Stored {
    pub(super) data: Row,
    pub(super) version: i64,
    pub(super) applied: HashMap<String, i64>,
    pub(super) previous: HashMap<String, String>,
    pub(super) deleted: bool,
}

impl CassandraReadStore {
    /// The main-table row at `key`, with its bookkeeping.
    pub(super) async fn read(
        &self,
        schema: &TableSchema<'_>,
        key: &Value,
    ) -> Result<Option<Stored>, StoreError> {
        let keyspace = &self.config.keyspace;
        let rows = self
            .rows(
                statements::select_row(keyspace, schema),
                vec![to_cql(schema.key_column(), key)?],
            )
            .await?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let mut columns = row.columns.into_iter();
        let mut data = Row::new();
        for column in schema.columns {
            data.insert(
                column.name.to_owned(),
                from_cql(column, columns.next().flatten())?,
            );
        }
        let version = match columns.next().flatten() {
            Some(CqlValue::BigInt(version)) => version,
            _ => 0,
        };
        let applied = map_of(columns.next().flatten(), |value| match value {
            CqlValue::BigInt(sequence) => Some(sequence),
            _ => None,
        });
        let previous = map_of(columns.next().flatten(), |value| match value {
            CqlValue::Text(text) => Some(text),
            _ => None,
        });
        let deleted = matches!(columns.next().flatten(), Some(CqlValue::Boolean(true)));
        Ok(Some(Stored {
            data,
            version,
            applied,
            previous,
            deleted,
        }))
    }

    /// Brings the index tables in line with the main row at `version`: removes the rows the
    /// indexed columns' previous values keyed, and writes the current ones. Idempotent, and
    /// written at `version` as time, so a slower writer of an older version never wins.
    async fn sync_lists(
        &self,
        schema: &TableSchema<'_>,
        key: &Value,
        version: i64,
        previous: &HashMap<String, String>,
        current: Option<&Row>,
    ) -> Result<(), StoreError> {
        self.remove_listed(schema, key, version, previous, current)
            .await?;
        let Some(row) = current else {
            return Ok(());
        };
        let keyspace = &self.config.keyspace;
        for index in schema.indexes {
            for place in places(index, row) {
                let mut values = data_values(schema, row)?;
                if index.is_expanded() {
                    values.extend(
                        place
                            .0
                            .iter()
                            .map(|term| Some(CqlValue::Text(term_text(term)))),
                    );
                }
                values.push(Some(CqlValue::BigInt(version)));
                self.execute(statements::insert_listed(keyspace, schema, index), values)
                    .await?;
            }
        }
        Ok(())
    }

    /// Removes, at `version`, the index-table rows the indexed columns' `previous` values keyed
    /// and the `current` row no longer does.
    async fn remove_listed(
        &self,
        schema: &TableSchema<'_>,
        key: &Value,
        version: i64,
        previous: &HashMap<String, String>,
        current: Option<&Row>,
    ) -> Result<(), StoreError> {
        let keyspace = &self.config.keyspace;
        let before: Row = previous
            .iter()
            .filter_map(|(column, text)| Some((column.clone(), serde_json::from_str(text).ok()?)))
            .collect();
        for index in schema.indexes {
            let now = current.map(|row| places(index, row)).unwrap_or_default();
            for gone in places(index, &before)
                .iter()
                .filter(|place| !now.contains(place))
            {
                let mut values = vec![Some(CqlValue::BigInt(version))];
                values.extend(place_values(schema, index, gone)?);
                values.push(to_cql(schema.key_column(), key)?);
                self.execute(statements::delete_listed(keyspace, schema, index), values)
                    .await?;
            }
        }
        Ok(())
    }

    /// Finishes the removals the stored version's write may not have made (its writer stopped
    /// between the row and its lists) before the row moves on: once it has, the values that
    /// write replaced are no longer known, and a row left in another value's list would stay
    /// there for good.
    async fn finish_removals(
        &self,
        schema: &TableSchema<'_>,
        key: &Value,
        stored: &Stored,
    ) -> Result<(), StoreError> {
        let current = (!stored.deleted).then_some(&stored.data);
        let unchanged = current.is_some_and(|row| {
            stored
                .previous
                .iter()
                .all(|(column, text)| row.get(column).map(Value::to_string).as_ref() == Some(text))
        });
        if unchanged {
            return Ok(());
        }
        self.remove_listed(schema, key, stored.version, &stored.previous, current)
            .await
    }

    /// [`ReadStore::update`]'s row write, without the checkpoint or progress.
    ///
    /// `carried` holds the marks of earlier events that were decided on this row, left it as
    /// it was, and whose checkpoint has not moved yet (a batch moves it once, at its end): the
    /// write records them too. Otherwise a redelivery after a crash would decide those events
    /// again on the row as this write leaves it, and might change it.
    pub(super) async fn write_row(
        &self,
        schema: &TableSchema<'_>,
        mark: Mark<'_>,
        key: Option<&Value>,
        decide: Decide<'_>,
        carried: &Carried,
    ) -> Result<Wrote, StoreError> {
        let Some(key) = key else {
            // Nothing to write: only the checkpoint or the progress moves.
            decide(None).map_err(StoreError::Corrupt)?;
            return Ok(Wrote::Kept);
        };
        let marker = marker(mark.aggregate_type, mark.aggregate_id);
        let sequence = to_i64(mark.sequence)?;
        let keyspace = &self.config.keyspace;
        for attempt in 1..=CONTENDED_ATTEMPTS {
            let stored = self.read(schema, key).await?;
            if let Some(stored) = &stored
                && stored
                    .applied
                    .get(&marker)
                    .is_some_and(|applied| *applied >= sequence)
            {
                // Applied already; the list tables may have missed it if a crash came between
                // the two writes, and redelivery is the chance to finish.
                let current = (!stored.deleted).then_some(&stored.data);
                self.sync_lists(schema, key, stored.version, &stored.previous, current)
                    .await?;
                return Ok(Wrote::Skipped);
            }
            if let Some(stored) = &stored {
                self.finish_removals(schema, key, stored).await?;
            }
            let current = stored
                .as_ref()
                .filter(|s| !s.deleted)
                .map(|s| s.data.clone());
            let (data, deleted) = match decide(current).map_err(StoreError::Corrupt)? {
                RowChange::None => return Ok(Wrote::Kept),
                RowChange::Upsert(mut row) => {
                    row.insert(schema.key.to_owned(), key.clone());
                    (row, false)
                }
                RowChange::Delete(_) => (Row::new(), true),
            };
            // The indexed values this write replaces, for removing their index-table rows.
            let previous: HashMap<String, String> = schema
                .indexed_columns()
                .into_iter()
                .filter_map(|column| {
                    let stored = stored.as_ref().filter(|s| !s.deleted)?;
                    let value = stored.data.get(column.name)?;
                    Some((column.name.to_owned(), value.to_string()))
                })
                .collect();
            let previous_cql = Some(CqlValue::Map(
                previous
                    .iter()
                    .map(|(field, value)| {
                        (CqlValue::Text(field.clone()), CqlValue::Text(value.clone()))
                    })
                    .collect(),
            ));
            // A carried mark was read before this attempt's row: another applier may have moved
            // its aggregate on since (two instances holding one partition during a rebalance),
            // and the map's `+` would move that mark back. Only marks ahead of the row's go.
            let mut applied: Carried = carried
                .iter()
                .filter(|(carried, sequence)| {
                    stored
                        .as_ref()
                        .and_then(|stored| stored.applied.get(*carried))
                        .is_none_or(|stored| stored < *sequence)
                })
                .map(|(carried, sequence)| (carried.clone(), *sequence))
                .collect();
            // This event's own mark last: a carried mark of its aggregate is an older one.
            applied.insert(marker.clone(), sequence);
            let marks = Some(CqlValue::Map(
                applied
                    .into_iter()
                    .map(|(marker, sequence)| (CqlValue::Text(marker), CqlValue::BigInt(sequence)))
                    .collect(),
            ));
            let written = match &stored {
                None => {
                    let version = 1;
                    let mut values = data_values(schema, &data)?;
                    values.extend([
                        Some(CqlValue::BigInt(version)),
                        marks,
                        previous_cql,
                        Some(CqlValue::Boolean(deleted)),
                    ]);
                    self.applied(statements::insert_if_absent(keyspace, schema), values)
                        .await?
                        .then_some(version)
                }
                Some(stored) => {
                    let version = stored.version + 1;
                    let mut values = Vec::new();
                    for column in schema.columns.iter().filter(|c| c.name != schema.key) {
                        let value = data.get(column.name).unwrap_or(&Value::Null);
                        values.push(to_cql(column, value)?);
                    }
                    values.extend([
                        Some(CqlValue::BigInt(version)),
                        marks,
                        previous_cql,
                        Some(CqlValue::Boolean(deleted)),
                        to_cql(schema.key_column(), key)?,
                        Some(CqlValue::BigInt(stored.version)),
                    ]);
                    self.applied(statements::update_if_version(keyspace, schema), values)
                        .await?
                        .then_some(version)
                }
            };
            let Some(version) = written else {
                // Another writer changed the row since it was read: decide again on the new one,
                // after a random wait that grows with each loss, so writers of a hot row spread
                // out instead of colliding again at once.
                tokio::time::sleep(crate::backoff::backoff(attempt)).await;
                continue;
            };
            let current = (!deleted).then_some(&data);
            self.sync_lists(schema, key, version, &previous, current)
                .await?;
            return Ok(Wrote::Changed);
        }
        Err(StoreError::Unavailable(format!(
            "row {key} of {} kept changing under {CONTENDED_ATTEMPTS} attempts to write it",
            schema.name
        )))
    }

    pub(super) async fn move_progress(
        &self,
        schema: &TableSchema<'_>,
        mark: Mark<'_>,
    ) -> Result<(), StoreError> {
        let sequence = to_i64(mark.sequence)?;
        self.execute(
            statements::save_progress(&self.config.keyspace, schema),
            vec![
                Some(CqlValue::BigInt(sequence)),
                Some(CqlValue::BigInt(sequence)),
                Some(CqlValue::Text(marker(
                    mark.aggregate_type,
                    mark.aggregate_id,
                ))),
            ],
        )
        .await?;
        Ok(())
    }

    /// Moves `projection`'s checkpoint to `cursor`.
    pub(super) async fn move_checkpoint(
        &self,
        projection: &str,
        cursor: Cursor,
    ) -> Result<(), StoreError> {
        self.execute(
            statements::save_checkpoint(&self.config.keyspace),
            vec![
                Some(CqlValue::BigInt(to_i64(cursor.transaction)?)),
                Some(CqlValue::BigInt(to_i64(cursor.position)?)),
                Some(CqlValue::Text(projection.to_owned())),
            ],
        )
        .await?;
        Ok(())
    }
}

fn data_values(schema: &TableSchema<'_>, row: &Row) -> Result<Vec<Option<CqlValue>>, StoreError> {
    schema
        .columns
        .iter()
        .map(|column| to_cql(column, row.get(column.name).unwrap_or(&Value::Null)))
        .collect()
}

fn map_of<T>(value: Option<CqlValue>, entry: impl Fn(CqlValue) -> Option<T>) -> HashMap<String, T> {
    match value {
        Some(CqlValue::Map(entries)) => entries
            .into_iter()
            .filter_map(|(key, value)| match key {
                CqlValue::Text(key) => Some((key, entry(value)?)),
                _ => None,
            })
            .collect(),
        _ => HashMap::new(),
    }
}

/// Where a row stands in an index table, once per entry: its terms' values and its order
/// column's; none when the order column is null.
type Place = (Vec<Value>, Option<Value>);

fn places(index: &Index<'_>, row: &Row) -> Vec<Place> {
    let order = match index.order {
        Some(order) => match row.get(order).filter(|value| !value.is_null()) {
            Some(value) => Some(value.clone()),
            None => return Vec::new(),
        },
        None => None,
    };
    entries(index, row)
        .into_iter()
        // Cassandra takes no empty text as a partition key: such a row is in no list there.
        .filter(|terms| index.is_expanded() || !terms.iter().any(is_empty_text))
        .map(|terms| (terms, order.clone()))
        .collect()
}

/// `""`, which Cassandra refuses as (part of) a partition key.
pub(super) fn is_empty_text(value: &Value) -> bool {
    value.as_str().is_some_and(str::is_empty)
}

/// A place's values as the index table's key columns hold them: terms that reach inside a
/// column as JSON text, other terms and the order column in their own types.
fn place_values(
    schema: &TableSchema<'_>,
    index: &Index<'_>,
    (terms, order): &Place,
) -> Result<Vec<Option<CqlValue>>, StoreError> {
    let mut values = Vec::new();
    for (text, value) in index.equal.iter().zip(terms) {
        values.push(if index.is_expanded() {
            Some(CqlValue::Text(term_text(value)))
        } else {
            to_cql(column(schema, text)?, value)?
        });
    }
    if let (Some(name), Some(value)) = (index.order, order) {
        values.push(to_cql(column(schema, name)?, value)?);
    }
    Ok(values)
}
