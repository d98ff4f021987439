//! Applying a projector's batch of events ([`ReadStore::update_many`]): the checkpoint read once
//! and moved once, and the rows of different keys written at once. See the [module docs](super).

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt as _, TryStreamExt as _};
use serde_json::Value;

use super::read_store::CassandraReadStore;
use super::rows::{Carried, Wrote};
use super::values::{marker, to_cql};
use crate::store::integers::to_i64;
use crate::store::{Cursor, Decide, Mark, ReadStore as _, StoreError, Target, Update};
use crate::table::TableSchema;

/// How many rows a batch writes at once. Every row write is a compare-and-set, a Paxos round of
/// four round trips to the replicas, so one write at a time leaves the cluster idle; rows of
/// different keys never contend, and each key's events still go in order.
pub(super) const ROWS_AT_ONCE: usize = 32;

/// One event of a run, as [`CassandraReadStore::write_row`] takes it.
struct RowUpdate<'a> {
    /// Its place in the batch, for its answer.
    at: usize,
    mark: Mark<'a>,
    key: Option<Value>,
    decide: Decide<'a>,
}

impl CassandraReadStore {
    /// Writes every update not behind the checkpoint, in runs between the changes to every row
    /// holding a value; each run's rows are written at once, then its checkpoint (or its
    /// aggregates' progress) moves.
    ///
    /// A crash part way through a run leaves its rows written and its checkpoint where it was:
    /// the redelivered events find their marks on their rows and are skipped, and the marks of
    /// events that left a row unchanged were written with that row's next change in the run
    /// (see [`CassandraReadStore::write_row`]).
    pub(super) async fn write_batch(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        updates: Vec<Update<'_>>,
    ) -> Result<Vec<bool>, StoreError> {
        let checkpoint = if updates.iter().any(|update| update.mark.cursor.is_some()) {
            Some(self.checkpoint(projection).await?)
        } else {
            None
        };
        let mut applied = vec![false; updates.len()];
        let mut run = Vec::new();
        for (at, update) in updates.into_iter().enumerate() {
            let Update {
                mark,
                target,
                decide,
            } = update;
            if let (Some(cursor), Some(checkpoint)) = (mark.cursor, checkpoint)
                && checkpoint >= cursor
            {
                continue;
            }
            let key = match target {
                Target::Key(key) => Some(key),
                Target::Unread => None,
                Target::Where { column, value } => {
                    // Its rows are found through a list, which the run before may change: that
                    // run is written and marked first, and the change marks itself.
                    self.write_run(schema, projection, std::mem::take(&mut run), &mut applied)
                        .await?;
                    applied[at] = self
                        .update_where(schema, projection, mark, column, &value, decide)
                        .await?;
                    continue;
                }
            };
            run.push(RowUpdate {
                at,
                mark,
                key,
                decide,
            });
        }
        self.write_run(schema, projection, run, &mut applied)
            .await?;
        Ok(applied)
    }

    /// Writes `run`'s rows, up to [`ROWS_AT_ONCE`] keys at once and each key's events in turn,
    /// then moves the checkpoint past the run, or each aggregate's progress to its last event.
    async fn write_run(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        run: Vec<RowUpdate<'_>>,
        applied: &mut [bool],
    ) -> Result<(), StoreError> {
        let mut checkpoint: Option<Cursor> = None;
        let mut progress: HashMap<(&str, &str), Mark<'_>> = HashMap::new();
        let mut rows: Vec<Vec<RowUpdate<'_>>> = Vec::new();
        let mut row_of: HashMap<String, usize> = HashMap::new();
        for update in run {
            let mark = update.mark;
            match mark.cursor {
                Some(cursor) => checkpoint = checkpoint.max(Some(cursor)),
                None => {
                    let last = progress
                        .entry((mark.aggregate_type, mark.aggregate_id))
                        .or_insert(mark);
                    if mark.sequence > last.sequence {
                        *last = mark;
                    }
                }
            }
            // Grouped by the key as Cassandra stores it: `"5"` and `5` in an int key are one row.
            let stored_key = match &update.key {
                Some(key) => Some(to_cql(schema.key_column(), key)?),
                None => None,
            };
            let next = rows.len();
            let row = *row_of.entry(format!("{stored_key:?}")).or_insert(next);
            if row == next {
                rows.push(Vec::new());
            }
            rows[row].push(update);
        }
        // The futures are made before they are streamed: a closure inside the stream would have
        // to be general over the updates' lifetime for the future to be `Send`.
        let writes: Vec<_> = rows
            .into_iter()
            .map(|events| self.write_in_turn(schema, events))
            .collect();
        let written: Vec<Vec<(usize, bool)>> = stream::iter(writes)
            .buffer_unordered(ROWS_AT_ONCE)
            .try_collect()
            .await?;
        for (at, was_applied) in written.into_iter().flatten() {
            applied[at] = was_applied;
        }
        // Only now: a crash before this leaves every event of the run to be redelivered.
        if let Some(cursor) = checkpoint {
            self.move_checkpoint(projection, cursor).await?;
        }
        let moves: Vec<_> = progress
            .into_values()
            .map(|mark| self.move_progress(schema, mark))
            .collect();
        stream::iter(moves)
            .buffer_unordered(ROWS_AT_ONCE)
            .try_collect::<()>()
            .await
    }

    /// One key's events, in order: each answered with whether it was applied.
    async fn write_in_turn(
        &self,
        schema: &TableSchema<'_>,
        events: Vec<RowUpdate<'_>>,
    ) -> Result<Vec<(usize, bool)>, StoreError> {
        let mut carried = Carried::new();
        let mut applied = Vec::with_capacity(events.len());
        for event in events {
            let mark = event.mark;
            let wrote = self
                .write_row(schema, mark, event.key.as_ref(), event.decide, &carried)
                .await?;
            match wrote {
                Wrote::Kept if event.key.is_some() => {
                    carried.insert(
                        marker(mark.aggregate_type, mark.aggregate_id),
                        to_i64(mark.sequence)?,
                    );
                }
                Wrote::Changed => carried.clear(),
                Wrote::Kept | Wrote::Skipped => {}
            }
            applied.push((event.at, wrote.applied()));
        }
        Ok(applied)
    }
}
