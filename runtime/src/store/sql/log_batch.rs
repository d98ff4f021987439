//! A batch of updates read in log order, applied with one checkpoint move and one write per
//! row, however many of the batch's events change it.
//!
//! Applied one by one, each event costs a checkpoint move, a read of its row and a write: three
//! round trips, which capped a projection catching up on PostgreSQL near 5 000 events a second.
//! Here the first event's checkpoint move decides for the batch (its cursors rise, so if the
//! first passes the checkpoint, every later one does, and the move holds the checkpoint's row
//! until the commit), the batch's rows are read in one statement, the events decide on them in
//! turn in memory, and each row's last state is written once, beside the side tables' change
//! from the stored row to it; rows of a table without side tables are written many to a
//! statement.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::backend::{Arg, Tx};
use super::read_store::{keeps_side_tables, row_to_json, write_change};
use super::side_tables::Replaced;
use super::statements;
use crate::store::{Cursor, Row, RowChange, StoreError, Target, Update};
use crate::table::{ColumnType, TableSchema};
use eventwright_tables::sql::Dialect;

/// Keys read in one statement.
const KEYS_A_READ: usize = 500;
/// Rows written in one statement.
const ROWS_A_WRITE: usize = 100;

/// The cursors of `updates` when every one was read from the log (`Mark::cursor`), rising:
/// then the batch may be applied as one.
pub(super) fn log_cursors(updates: &[Update<'_>]) -> Option<Vec<Cursor>> {
    let cursors: Vec<Cursor> = updates
        .iter()
        .map(|update| update.mark.cursor)
        .collect::<Option<_>>()?;
    let rising = cursors.windows(2).all(|pair| pair[0] < pair[1]);
    (rising && cursors.len() > 1).then_some(cursors)
}

/// Applies `updates`, which the caller has found not applied yet in `tx`: it moved their
/// checkpoint past the first of them, or claimed their aggregates' marks
/// ([`super::delivered_batch`]).
pub(super) async fn apply<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    schema: &TableSchema<'_>,
    updates: &[Update<'_>],
) -> Result<(), StoreError> {
    let mut rows = Rows::default();
    let keys = updates.iter().filter_map(|update| match &update.target {
        Target::Key(key) => Some(key),
        Target::Unread | Target::Where { .. } => None,
    });
    rows.read(tx, dialect, schema, keys.collect()).await?;
    for update in updates {
        let found = match &update.target {
            Target::Key(key) => vec![rows.current(tx, dialect, schema, key).await?],
            Target::Unread => vec![None],
            Target::Where { column, value } => {
                let found = rows.matching(tx, dialect, schema, (column, value));
                found.await?.into_iter().map(Some).collect()
            }
        };
        for row in found {
            rows.change(schema, (update.decide)(row).map_err(StoreError::Corrupt)?);
        }
    }
    rows.write(tx, dialect, schema).await
}

/// One row the batch touches: as stored before it, and as its events left it.
struct Slot {
    /// The stored row, when read; `None` inside when there was none. Not read for a row only
    /// written by changes decided beforehand: the side tables then read what they need.
    stored: Option<Option<Row>>,
    /// The row now, `None` when there is none (or it was deleted).
    now: Option<Row>,
    /// Whether an event changed it.
    changed: bool,
}

/// The rows of a batch, in the order first touched.
#[derive(Default)]
struct Rows {
    order: Vec<Value>,
    slots: HashMap<String, Slot>,
}

impl Rows {
    /// The row under `key` as the batch's events so far leave it, read from `tx` the first time.
    async fn current<T: Tx>(
        &mut self,
        tx: &mut T,
        dialect: Dialect,
        schema: &TableSchema<'_>,
        key: &Value,
    ) -> Result<Option<Row>, StoreError> {
        let id = key.to_string();
        if let Some(slot) = self.slots.get(&id) {
            return Ok(slot.now.clone());
        }
        let sql = statements::select_by_key(dialect, schema);
        let row = tx
            .fetch_optional(&sql, &[Arg::Cell(schema.key_column(), key)])
            .await?
            .map(|row| row_to_json(schema, row.as_ref()))
            .transpose()?;
        self.loaded(key.clone(), row.clone());
        Ok(row)
    }

    /// Reads the rows under `keys` in as few statements as it takes. A key no row answers is
    /// known to have none only where the store compares keys as given (text and integers);
    /// others (a uuid in capitals, a decimal written another way) are read one by one when the
    /// batch comes to them.
    async fn read<T: Tx>(
        &mut self,
        tx: &mut T,
        dialect: Dialect,
        schema: &TableSchema<'_>,
        keys: Vec<&Value>,
    ) -> Result<(), StoreError> {
        let mut seen = HashSet::new();
        let mut wanted: Vec<&Value> = Vec::with_capacity(keys.len());
        for key in keys {
            let id = key.to_string();
            if !self.slots.contains_key(&id) && seen.insert(id) {
                wanted.push(key);
            }
        }
        let column = schema.key_column();
        for chunk in wanted.chunks(KEYS_A_READ) {
            let sql = statements::select_by_keys(dialect, schema, chunk.len());
            let args: Vec<Arg<'_>> = chunk.iter().map(|key| Arg::Cell(column, key)).collect();
            for found in tx.fetch_all(&sql, &args).await? {
                let row = row_to_json(schema, found.as_ref())?;
                let key = row.get(schema.key).cloned().unwrap_or(Value::Null);
                self.loaded(key, Some(row));
            }
        }
        for key in wanted {
            if compared_as_given(column.ty, key) && !self.slots.contains_key(&key.to_string()) {
                self.loaded(key.clone(), None);
            }
        }
        Ok(())
    }

    /// Every row whose `column` holds `value` as the batch's events so far leave them: the
    /// stored rows that do, unless an event changed them since, and the rows changed in the
    /// batch that do now. Where the store compares the column's values otherwise than as given
    /// (uuids, decimals, times), the batch's rows are written first and the store alone says.
    async fn matching<T: Tx>(
        &mut self,
        tx: &mut T,
        dialect: Dialect,
        schema: &TableSchema<'_>,
        (column, value): (&str, &Value),
    ) -> Result<Vec<Row>, StoreError> {
        let cell = schema.column(column).ok_or_else(|| {
            StoreError::Corrupt(format!("{} has no column `{column}`", schema.name))
        })?;
        if !compared_as_given(cell.ty, value) {
            std::mem::take(self).write(tx, dialect, schema).await?;
        }
        let sql = statements::select_where(dialect, schema, column);
        let mut matched = Vec::new();
        for found in tx.fetch_all(&sql, &[Arg::Cell(cell, value)]).await? {
            let row = row_to_json(schema, found.as_ref())?;
            let key = row.get(schema.key).cloned().unwrap_or(Value::Null);
            let id = key.to_string();
            match self.slots.get(&id) {
                None => {
                    self.loaded(key, Some(row));
                    matched.push(id);
                }
                Some(slot) if !slot.changed => matched.push(id),
                // Changed in this batch: judged below on what it is now.
                Some(_) => {}
            }
        }
        let stored: HashSet<String> = matched.iter().cloned().collect();
        for key in &self.order {
            let id = key.to_string();
            let slot = &self.slots[&id];
            let holds = slot.now.as_ref().and_then(|row| row.get(column)) == Some(value);
            if slot.changed && holds && !stored.contains(&id) {
                matched.push(id);
            }
        }
        Ok(matched
            .iter()
            .filter_map(|id| self.slots[id].now.clone())
            .collect())
    }

    fn loaded(&mut self, key: Value, row: Option<Row>) {
        self.slots.insert(
            key.to_string(),
            Slot {
                stored: Some(row.clone()),
                now: row,
                changed: false,
            },
        );
        self.order.push(key);
    }

    /// Records what an event decided, under the key its change names (a projection may move a
    /// row to another key).
    fn change(&mut self, schema: &TableSchema<'_>, change: RowChange) {
        let (key, now) = match change {
            RowChange::None => return,
            RowChange::Upsert(row) => {
                let key = row.get(schema.key).cloned().unwrap_or(Value::Null);
                (key, Some(as_stored(schema, row)))
            }
            RowChange::Delete(key) => (key, None),
        };
        let id = key.to_string();
        match self.slots.get_mut(&id) {
            Some(slot) => {
                slot.now = now;
                slot.changed = true;
            }
            None => {
                self.order.push(key);
                self.slots.insert(
                    id,
                    Slot {
                        stored: None,
                        now,
                        changed: true,
                    },
                );
            }
        }
    }

    /// Writes each changed row's last state, in the order first touched.
    async fn write<T: Tx>(
        self,
        tx: &mut T,
        dialect: Dialect,
        schema: &TableSchema<'_>,
    ) -> Result<(), StoreError> {
        let mut slots = self.slots;
        let side_tables = keeps_side_tables(schema);
        let mut upserts = Vec::new();
        for key in self.order {
            let Some(slot) = slots.remove(&key.to_string()) else {
                continue;
            };
            if !slot.changed {
                continue;
            }
            match slot.now {
                Some(row) if !side_tables => upserts.push(row),
                now => {
                    let replaced = match &slot.stored {
                        Some(stored) => Replaced::Read(stored.as_ref()),
                        None => Replaced::Unknown,
                    };
                    let change = match now {
                        Some(row) => RowChange::Upsert(row),
                        None => RowChange::Delete(key),
                    };
                    write_change(tx, dialect, schema, change, replaced).await?;
                }
            }
        }
        for rows in upserts.chunks(ROWS_A_WRITE) {
            let sql = statements::upsert_rows(dialect, schema, rows.len());
            let args: Vec<Arg<'_>> = rows
                .iter()
                .flat_map(|row| {
                    schema.columns.iter().map(|column| {
                        Arg::Cell(column, row.get(column.name).unwrap_or(&Value::Null))
                    })
                })
                .collect();
            tx.execute(&sql, &args).await?;
        }
        Ok(())
    }
}

/// Whether the store compares `value` in a column of type `ty` as the JSON gives it: then a
/// row changed in memory holds it exactly when the stored row would, and no row answering it
/// means there is none. Not so for uuids in capitals, decimals or times written another way.
fn compared_as_given(ty: ColumnType, value: &Value) -> bool {
    match ty {
        ColumnType::String => value.is_string(),
        ColumnType::Int => value.is_i64(),
        ColumnType::Bool => value.is_boolean(),
        _ => false,
    }
}

/// `row` as reading it back would give it: every column of the table, null where it has none,
/// and nothing else. The next event of the batch decides on what it would have read.
fn as_stored(schema: &TableSchema<'_>, row: Row) -> Row {
    let mut row = row;
    schema
        .columns
        .iter()
        .map(|column| {
            let value = row.remove(column.name).unwrap_or(Value::Null);
            (column.name.to_owned(), value)
        })
        .collect()
}
