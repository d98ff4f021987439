//! The read store on a SQL database.

use async_trait::async_trait;
use eventwright_tables::sql;
use serde_json::Value;

use super::backend::{Arg, Backend, Conn, SqlRow, Tx};
use super::event_store::stored_cursor;
use super::side_tables::{self, Replaced};
use super::{delivered_batch, log_batch};
use super::{migrate, statements};
use crate::store::entries::term_text;
use crate::store::integers::{to_i64, to_u64};
use crate::store::{
    Cursor, Decide, Find, Mark, ReadStore, Row, RowChange, StoreError, Target, Update,
};
use crate::table::{ColumnDef, Summary, TableSchema};

/// Projection tables, one column per field, and the bookkeeping that makes applying idempotent:
/// each projection's checkpoint and its marks per aggregate move in the same transaction as its
/// rows (see `eventwright_tables::sql::read_store`).
///
/// On SQLite, values without a type of their own (lists and value objects, decimals, uuids,
/// timestamps, dates) are text in their canonical serde form. On PostgreSQL every column is
/// typed (`UUID`, `NUMERIC`, `TIMESTAMPTZ`, `JSONB`, ...), so the tables read well from any SQL
/// client.
#[derive(Debug, Clone)]
pub struct SqlReadStore<B> {
    db: B,
}

impl<B: Backend> SqlReadStore<B> {
    pub fn new(db: B) -> Self {
        Self { db }
    }
}

#[async_trait]
impl<B: Backend> ReadStore for SqlReadStore<B> {
    async fn prepare_bookkeeping(&self) -> Result<(), StoreError> {
        let migrations = sql::read_store(self.db.dialect());
        migrate(&self.db, "eventwright_checkpoints", &migrations, &[]).await
    }

    async fn prepare(&self, schema: &TableSchema<'_>) -> Result<(), StoreError> {
        // The shared tables under their own lock, so preparers of different projections take
        // turns on them too.
        self.prepare_bookkeeping().await?;
        sql::check(self.db.dialect(), schema).map_err(StoreError::Unsupported)?;
        let table = sql::projection_table(self.db.dialect(), schema);
        migrate(&self.db, schema.name, &[], &table).await
    }

    async fn active(&self, projection: &str) -> Result<u64, StoreError> {
        let sql = statements::select_generation(self.db.dialect());
        let row = self
            .db
            .pool()
            .fetch_optional(&sql, &[Arg::Text(projection)])
            .await?;
        row.map_or(Ok(0), |row| to_u64(row.int("generation")?))
    }

    async fn activate(&self, projection: &str, generation: u64) -> Result<(), StoreError> {
        let sql = statements::activate_generation(self.db.dialect());
        let args = [Arg::Text(projection), Arg::Int(to_i64(generation)?)];
        self.db.pool().execute(&sql, &args).await?;
        Ok(())
    }

    async fn save_checkpoint(&self, projection: &str, cursor: Cursor) -> Result<(), StoreError> {
        let sql = statements::save_checkpoint(self.db.dialect());
        self.db
            .pool()
            .execute(&sql, &checkpoint_args(projection, cursor)?)
            .await?;
        Ok(())
    }

    async fn drop_projection(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
    ) -> Result<(), StoreError> {
        let [table, checkpoint, marks] = statements::drop_projection(self.db.dialect(), schema);
        let mut tx = self.db.begin().await?;
        tx.execute(&table, &[]).await?;
        for entries in sql::side_tables(schema) {
            let drop = format!("DROP TABLE IF EXISTS {}", sql::quote(&entries));
            tx.execute(&drop, &[]).await?;
        }
        let forget = format!(
            "DELETE FROM eventwright_shapes WHERE table_name = {}",
            self.db.dialect().placeholder(1)
        );
        tx.execute(&forget, &[Arg::Text(schema.name)]).await?;
        for sql in [checkpoint, marks] {
            tx.execute(&sql, &[Arg::Text(projection)]).await?;
        }
        tx.commit().await
    }

    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError> {
        let sql = statements::select_checkpoint(self.db.dialect());
        let row = self
            .db
            .pool()
            .fetch_optional(&sql, &[Arg::Text(projection)])
            .await?;
        stored_cursor(row.as_deref())
    }

    async fn progress(
        &self,
        _: &TableSchema<'_>,
        projection: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<u64, StoreError> {
        let sql = statements::select_applied(self.db.dialect());
        let args = [
            Arg::Text(projection),
            Arg::Text(aggregate_type),
            Arg::Text(aggregate_id),
        ];
        let row = self.db.pool().fetch_optional(&sql, &args).await?;
        row.map_or(Ok(0), |row| to_u64(row.int("sequence")?))
    }

    async fn get(&self, schema: &TableSchema<'_>, key: &Value) -> Result<Option<Row>, StoreError> {
        let sql = statements::select_by_key(self.db.dialect(), schema);
        let row = self
            .db
            .pool()
            .fetch_optional(&sql, &[Arg::Cell(schema.key_column(), key)])
            .await?;
        row.map(|row| row_to_json(schema, row.as_ref())).transpose()
    }

    async fn update(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        mark: Mark<'_>,
        key: Option<&Value>,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.begin().await?;
        let applied = self
            .update_in(&mut tx, schema, projection, mark, key, decide)
            .await?;
        // An event applied already leaves nothing to commit.
        if applied {
            tx.commit().await?;
        }
        Ok(applied)
    }

    async fn update_many(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        updates: Vec<Update<'_>>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.db.begin().await?;
        let dialect = self.db.dialect();
        if let Some(cursors) = log_batch::log_cursors(&updates)
            && move_mark(&mut tx, dialect, projection, updates[0].mark).await?
        {
            log_batch::apply(&mut tx, dialect, schema, &updates).await?;
            let last = cursors[cursors.len() - 1];
            let sql = statements::save_checkpoint(dialect);
            tx.execute(&sql, &checkpoint_args(projection, last)?)
                .await?;
            tx.commit().await?;
            return Ok(vec![true; updates.len()]);
        }
        // One by one: marks by sequence, or a batch whose first event was applied already (read
        // again after a restart), whose check above moved nothing.
        // Rows marked by sequence are locked as each event comes (see `update_in`); taking the
        // batch's locks first, in one order, keeps two batches sharing rows from deadlocking.
        let mut rows: Vec<String> = updates
            .iter()
            .filter(|update| update.mark.cursor.is_none())
            .filter_map(|update| match &update.target {
                Target::Key(key) => Some(row_lock(schema, key)),
                Target::Unread | Target::Where { .. } => None,
            })
            .collect();
        rows.sort_unstable();
        rows.dedup();
        tx.lock_all(&rows).await?;
        if delivered_batch::applies(&updates) {
            let applied =
                delivered_batch::apply(&mut tx, dialect, schema, projection, updates).await?;
            tx.commit().await?;
            return Ok(applied);
        }
        let mut applied = Vec::with_capacity(updates.len());
        for update in updates {
            let (mark, decide) = (update.mark, update.decide);
            applied.push(match &update.target {
                Target::Key(key) => {
                    self.update_in(&mut tx, schema, projection, mark, Some(key), decide)
                        .await?
                }
                Target::Unread => {
                    self.update_in(&mut tx, schema, projection, mark, None, decide)
                        .await?
                }
                // Its rows' turns are taken as it comes: a batch of another applier holding
                // one of them may deadlock with it, which fails this batch, and the engine
                // then applies its events one by one.
                Target::Where { column, value } => {
                    self.update_where_in(&mut tx, schema, projection, mark, (column, value), decide)
                        .await?
                }
            });
        }
        tx.commit().await?;
        Ok(applied)
    }

    async fn find(&self, schema: &TableSchema<'_>, find: Find<'_>) -> Result<Vec<Row>, StoreError> {
        find.check(schema)?;
        let column = |name: &str| {
            schema.column(name).ok_or_else(|| {
                StoreError::Corrupt(format!("{} has no column `{name}`", schema.name))
            })
        };
        let mut args = Vec::new();
        // An entry table keeps its terms as JSON text.
        let texts: Vec<String> = find.equal.iter().map(term_text).collect();
        if find.index.is_expanded() {
            args.extend(texts.iter().map(|text| Arg::Text(text)));
        } else {
            for (name, value) in find.index.equal.iter().zip(find.equal) {
                args.push(Arg::Cell(column(name)?, value));
            }
        }
        if let Some(order) = find.index.order {
            let order = column(order)?;
            for bound in [find.from, find.before].into_iter().flatten() {
                args.push(Arg::Cell(order, bound));
            }
            if let Some(value) = find.after.and_then(|after| after.order.as_ref()) {
                args.push(Arg::Cell(order, value));
            }
        }
        if let Some(after) = find.after {
            args.push(Arg::Cell(schema.key_column(), &after.key));
        }
        args.push(Arg::Int(i64::try_from(find.limit).unwrap_or(i64::MAX)));
        let sql = statements::find(self.db.dialect(), schema, &find);
        let rows = self.db.pool().fetch_all(&sql, &args).await?;
        rows.iter()
            .map(|row| row_to_json(schema, row.as_ref()))
            .collect()
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
        let mut tx = self.db.begin().await?;
        let applied = self
            .update_where_in(&mut tx, schema, projection, mark, (column, value), decide)
            .await?;
        if applied {
            tx.commit().await?;
        }
        Ok(applied)
    }

    async fn list_all(
        &self,
        schema: &TableSchema<'_>,
        after_key: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        let sql = statements::list_all(self.db.dialect(), schema, after_key.is_some());
        let mut args: Vec<Arg<'_>> = after_key
            .map(|key| Arg::Cell(schema.key_column(), key))
            .into_iter()
            .collect();
        args.push(Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
        let rows = self.db.pool().fetch_all(&sql, &args).await?;
        rows.iter()
            .map(|row| row_to_json(schema, row.as_ref()))
            .collect()
    }

    async fn group(
        &self,
        schema: &TableSchema<'_>,
        summary: &Summary<'_>,
        value: &Value,
    ) -> Result<Option<Row>, StoreError> {
        let by = summary_by(schema, summary)?;
        let sql = side_tables::select_group(self.db.dialect(), &summary.name(schema.name));
        let found = self
            .db
            .pool()
            .fetch_optional(&sql, &[Arg::Cell(&by, value)])
            .await?;
        found
            .map(|row| side_tables::group_of(schema, summary, row.as_ref()))
            .transpose()
    }

    async fn groups(
        &self,
        schema: &TableSchema<'_>,
        summary: &Summary<'_>,
        after: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        let by = summary_by(schema, summary)?;
        let table = summary.name(schema.name);
        let sql = side_tables::select_groups(self.db.dialect(), &table, after.is_some());
        let mut args: Vec<Arg<'_>> = after
            .map(|value| Arg::Cell(&by, value))
            .into_iter()
            .collect();
        args.push(Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
        let rows = self.db.pool().fetch_all(&sql, &args).await?;
        rows.iter()
            .map(|row| side_tables::group_of(schema, summary, row.as_ref()))
            .collect()
    }

    async fn shape(&self, schema: &TableSchema<'_>) -> Result<Option<String>, StoreError> {
        let sql = format!(
            "SELECT shape FROM eventwright_shapes WHERE table_name = {}",
            self.db.dialect().placeholder(1)
        );
        let found = self
            .db
            .pool()
            .fetch_optional(&sql, &[Arg::Text(schema.name)])
            .await?;
        found.map(|row| row.text("shape")).transpose()
    }

    async fn record_shape(&self, schema: &TableSchema<'_>) -> Result<(), StoreError> {
        let (p1, p2) = (
            self.db.dialect().placeholder(1),
            self.db.dialect().placeholder(2),
        );
        let sql = format!(
            "INSERT INTO eventwright_shapes (table_name, shape) VALUES ({p1}, {p2}) \
             ON CONFLICT (table_name) DO UPDATE SET shape = excluded.shape"
        );
        let shape = schema.shape();
        self.db
            .pool()
            .execute(&sql, &[Arg::Text(schema.name), Arg::Text(&shape)])
            .await?;
        Ok(())
    }
}

impl<B: Backend> SqlReadStore<B> {
    /// [`ReadStore::update`] inside a transaction the caller commits.
    async fn update_in(
        &self,
        tx: &mut B::Tx,
        schema: &TableSchema<'_>,
        projection: &str,
        mark: Mark<'_>,
        key: Option<&Value>,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError> {
        let dialect = self.db.dialect();
        // Marked by sequence, events of different aggregates may feed one row at once: they
        // take turns on it, even before it exists, so neither decides on a row the other is
        // about to change. (A checkpoint's row lock already serializes.) The row's turn comes
        // before the mark's, in the order a delivered batch takes them, so the two never wait
        // for each other.
        if let (None, Some(key)) = (mark.cursor, key) {
            tx.lock(&row_lock(schema, key)).await?;
        }
        if !move_mark(tx, dialect, projection, mark).await? {
            return Ok(false);
        }
        let row = match key {
            Some(key) => {
                let sql = statements::select_by_key(dialect, schema);
                let row = tx
                    .fetch_optional(&sql, &[Arg::Cell(schema.key_column(), key)])
                    .await?;
                row.map(|row| row_to_json(schema, row.as_ref()))
                    .transpose()?
            }
            None => None,
        };
        // What the side tables need to know of the row the change replaces, read just now.
        let before = (key.is_some() && keeps_side_tables(schema)).then(|| row.clone());
        let change = decide(row).map_err(StoreError::Corrupt)?;
        let replaced = match &before {
            Some(before) => Replaced::Read(before.as_ref()),
            None => Replaced::Unknown,
        };
        write_change(tx, dialect, schema, change, replaced).await?;
        Ok(true)
    }

    /// [`ReadStore::update_where`] inside a transaction the caller commits: every row whose
    /// `column` holds `value`.
    async fn update_where_in(
        &self,
        tx: &mut B::Tx,
        schema: &TableSchema<'_>,
        projection: &str,
        mark: Mark<'_>,
        (column, value): (&str, &Value),
        decide: Decide<'_>,
    ) -> Result<bool, StoreError> {
        let cell = schema.column(column).ok_or_else(|| {
            StoreError::Corrupt(format!("{} has no column `{column}`", schema.name))
        })?;
        let dialect = self.db.dialect();
        let sql = statements::select_where(dialect, schema, column);
        if !move_mark(tx, dialect, projection, mark).await? {
            return Ok(false);
        }
        // Marked by sequence, events of other aggregates may change these rows at once: take
        // each row's turn first, in one order as batches do, then read them.
        if mark.cursor.is_none() {
            let found = tx.fetch_all(&sql, &[Arg::Cell(cell, value)]).await?;
            let mut locks = found
                .iter()
                .map(|row| Ok(row_lock(schema, &row.cell(schema.key_column())?)))
                .collect::<Result<Vec<_>, StoreError>>()?;
            drop(found);
            locks.sort_unstable();
            locks.dedup();
            tx.lock_all(&locks).await?;
        }
        let rows = tx
            .fetch_all(&sql, &[Arg::Cell(cell, value)])
            .await?
            .iter()
            .map(|row| row_to_json(schema, row.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let keeps_side_tables = keeps_side_tables(schema);
        for row in rows {
            let before = keeps_side_tables.then(|| row.clone());
            let change = decide(Some(row)).map_err(StoreError::Corrupt)?;
            let replaced = match &before {
                Some(before) => Replaced::Read(Some(before)),
                None => Replaced::Unknown,
            };
            write_change(tx, dialect, schema, change, replaced).await?;
        }
        Ok(true)
    }
}

/// Moves `projection`'s mark past `mark`'s event, unless it is there already: whether it moved,
/// so whether the event is new. Moved first, its row lock also makes appliers of the same
/// projection (checkpoint) or aggregate (sequence) wait for each other until commit.
async fn move_mark<T: Tx>(
    tx: &mut T,
    dialect: sql::Dialect,
    projection: &str,
    mark: Mark<'_>,
) -> Result<bool, StoreError> {
    let moved = match mark.cursor {
        Some(cursor) => {
            let sql = statements::save_checkpoint(dialect);
            tx.execute(&sql, &checkpoint_args(projection, cursor)?)
                .await?
        }
        None => {
            let sql = statements::save_applied(dialect);
            let args = [
                Arg::Text(projection),
                Arg::Text(mark.aggregate_type),
                Arg::Text(mark.aggregate_id),
                Arg::Int(to_i64(mark.sequence)?),
            ];
            tx.execute(&sql, &args).await?
        }
    };
    Ok(moved > 0)
}

/// Writes what a projection decided for one row, and what its side tables keep of it;
/// `replaced`: the stored row it replaces, when the caller read it in this transaction.
pub(super) async fn write_change<T: Tx>(
    tx: &mut T,
    dialect: sql::Dialect,
    schema: &TableSchema<'_>,
    change: RowChange,
    replaced: Replaced<'_>,
) -> Result<(), StoreError> {
    match change {
        RowChange::None => {}
        RowChange::Upsert(row) => {
            let key = row.get(schema.key).unwrap_or(&Value::Null);
            let replaced = replaced.at(schema, key);
            side_tables::write_summaries(tx, dialect, schema, key, replaced, Some(&row)).await?;
            let sql = statements::upsert(dialect, schema);
            let args: Vec<Arg<'_>> = schema
                .columns
                .iter()
                .map(|column| Arg::Cell(column, row.get(column.name).unwrap_or(&Value::Null)))
                .collect();
            tx.execute(&sql, &args).await?;
            side_tables::write_entries(tx, dialect, schema, key, replaced, Some(&row)).await?;
        }
        RowChange::Delete(key) => {
            let replaced = replaced.at(schema, &key);
            side_tables::write_summaries(tx, dialect, schema, &key, replaced, None).await?;
            let sql = statements::delete_by_key(dialect, schema);
            tx.execute(&sql, &[Arg::Cell(schema.key_column(), &key)])
                .await?;
            side_tables::write_entries(tx, dialect, schema, &key, replaced, None).await?;
        }
    }
    Ok(())
}

/// Whether writing a row of `schema` also writes side tables (entries, summaries), which need
/// the row it replaces.
pub(super) fn keeps_side_tables(schema: &TableSchema<'_>) -> bool {
    !schema.summaries.is_empty() || schema.indexes.iter().any(|index| index.is_expanded())
}

fn checkpoint_args(projection: &str, cursor: Cursor) -> Result<[Arg<'_>; 3], StoreError> {
    Ok([
        Arg::Text(projection),
        Arg::Int(to_i64(cursor.transaction)?),
        Arg::Int(to_i64(cursor.position)?),
    ])
}

/// The name of the lock appliers of one row take turns on.
fn row_lock(schema: &TableSchema<'_>, key: &Value) -> String {
    format!("{}\u{1f}{key}", schema.name)
}

pub(super) fn row_to_json(schema: &TableSchema<'_>, row: &dyn SqlRow) -> Result<Row, StoreError> {
    schema
        .columns
        .iter()
        .map(|column| Ok((column.name.to_owned(), row.cell(column)?)))
        .collect()
}

/// The grouped column of `summary`, as its summary table names it; refused for a summary the
/// table was not prepared with.
fn summary_by<'a>(
    schema: &TableSchema<'a>,
    summary: &Summary<'_>,
) -> Result<ColumnDef<'a>, StoreError> {
    if !schema.summaries.contains(summary) {
        return Err(StoreError::Unsupported(format!(
            "{} declares no summary by `{}`",
            schema.name, summary.by
        )));
    }
    let by = schema.column(summary.by).ok_or_else(|| {
        StoreError::Unsupported(format!("{} has no column `{}`", schema.name, summary.by))
    })?;
    Ok(ColumnDef {
        name: sql::SUMMARY_GROUP,
        ..*by
    })
}
