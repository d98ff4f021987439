//! The rows an event joins ([`crate::projection::Join`]), read from their projections' active
//! generations once those have caught up with the event, before the event's transaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::projector::ProjectionError;
use crate::event::EventEnvelope;
use crate::projection::{Join, Joined};
use crate::store::generation::AtGeneration;
use crate::store::{Cursor, Mark, ReadStore, StoreError};
use crate::table::TableSchema;

/// How long a joined projection may lag before the event is given up on for now; the engine
/// retries it, as it does an event whose store is down.
const WAIT: Duration = Duration::from_secs(10);
/// The longest pause between two looks at a joined projection that is behind.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// The projection reading, and what it has read so far in one batch.
pub(super) struct JoinReader<'a> {
    own: &'a AtGeneration,
    name: &'static str,
    schema: &'static TableSchema<'static>,
    reads: &'static [&'static str],
    /// Each joined projection's active generation, and the furthest checkpoint seen there.
    joined: HashMap<&'static str, (AtGeneration, Cursor)>,
    /// Per aggregate: the last sequence of it the reading projection has handled, as stored
    /// before this batch; read only for the aggregates a join asks about.
    handled: HashMap<(String, String), u64>,
    /// Per aggregate: the last sequence of it among the batch's events before the one being
    /// applied, on a feed marked per aggregate.
    in_batch: HashMap<(String, String), u64>,
    /// Per joined projection and aggregate: the furthest progress seen.
    progress: HashMap<(&'static str, String, String), u64>,
}

impl<'a> JoinReader<'a> {
    pub(super) fn new(
        own: &'a AtGeneration,
        name: &'static str,
        schema: &'static TableSchema<'static>,
        reads: &'static [&'static str],
    ) -> Self {
        Self {
            own,
            name,
            schema,
            reads,
            joined: HashMap::new(),
            handled: HashMap::new(),
            in_batch: HashMap::new(),
            progress: HashMap::new(),
        }
    }

    /// The rows `joins` name, each once its projection has caught up with the event `envelope`
    /// marked `mark` (see [`crate::projection::Join`]).
    pub(super) async fn read(
        &mut self,
        joins: &[Join],
        envelope: &EventEnvelope,
        mark: Mark<'_>,
    ) -> Result<Joined, ProjectionError> {
        let mut joined = Joined::none();
        for join in joins {
            if !self.reads.contains(&join.projection) {
                return Err(ProjectionError::UndeclaredJoin {
                    projection: self.name,
                    joined: join.projection,
                });
            }
            let target = self.caught_up(join, envelope, mark).await?;
            if let Some(row) = target.get(join.schema, &join.key).await? {
                joined.insert(join, row).map_err(|e| {
                    StoreError::Corrupt(format!(
                        "row {} of {} does not match its type: {e}",
                        join.key, join.projection
                    ))
                })?;
            }
        }
        Ok(joined)
    }

    /// Notes that the reading projection handles `envelope`, marked `mark`, in this batch,
    /// before the events after it: what a later join in the batch must count, per aggregate,
    /// besides what is stored.
    pub(super) fn handles(&mut self, envelope: &EventEnvelope, mark: Mark<'_>) {
        if self.reads.is_empty() || mark.cursor.is_some() {
            return;
        }
        let aggregate = (
            envelope.aggregate_type.clone(),
            envelope.aggregate_id.clone(),
        );
        let last = self.in_batch.entry(aggregate).or_insert(0);
        *last = (*last).max(envelope.sequence);
    }

    /// The last sequence of an aggregate the reading projection has handled.
    async fn handled(
        &mut self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<u64, StoreError> {
        let aggregate = (aggregate_type.to_owned(), aggregate_id.to_owned());
        if let Some(handled) = self.handled.get(&aggregate) {
            return Ok(*handled);
        }
        let stored = self
            .own
            .progress(self.schema, self.name, aggregate_type, aggregate_id)
            .await?;
        self.handled.insert(aggregate, stored);
        Ok(stored)
    }

    /// The joined projection's active generation, once it has caught up with the event.
    async fn caught_up(
        &mut self,
        join: &Join,
        envelope: &EventEnvelope,
        mark: Mark<'_>,
    ) -> Result<AtGeneration, ProjectionError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            let target = self.generation(join).await?;
            let fresh = match mark.cursor {
                Some(cursor) => self.checkpoint_reached(join, &target, cursor).await?,
                None => self.progress_reached(join, &target, envelope).await?,
            };
            if fresh {
                return Ok(target);
            }
            if started.elapsed() >= WAIT {
                // Looked up again on the next attempt: it may have been rebuilt meanwhile.
                self.joined.remove(join.projection);
                return Err(ProjectionError::JoinBehind {
                    projection: self.name,
                    joined: join.projection,
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// The joined projection's active generation, unless its tables were built for another
    /// shape of it: it is being rebuilt, and its rows are not yet ones its type reads.
    async fn generation(&mut self, join: &Join) -> Result<AtGeneration, StoreError> {
        if let Some((target, _)) = self.joined.get(join.projection) {
            return Ok(target.clone());
        }
        let shared = Arc::clone(self.own.shared());
        let generation = shared.active(join.projection).await?;
        let target = AtGeneration::new(shared, generation);
        if !target.built_for_another_shape(join.schema).await? {
            self.joined
                .insert(join.projection, (target.clone(), Cursor::START));
        }
        Ok(target)
    }

    /// On the log: whether the joined projection's checkpoint is at or past the event's.
    async fn checkpoint_reached(
        &mut self,
        join: &Join,
        target: &AtGeneration,
        cursor: Cursor,
    ) -> Result<bool, StoreError> {
        let Some((_, seen)) = self.joined.get_mut(join.projection) else {
            return Ok(false);
        };
        if *seen < cursor {
            *seen = target.checkpoint(join.projection).await?;
        }
        Ok(*seen >= cursor)
    }

    /// Per aggregate: whether the joined projection has handled as much of the aggregate
    /// keeping the row as the reading projection has, this event included.
    async fn progress_reached(
        &mut self,
        join: &Join,
        target: &AtGeneration,
        envelope: &EventEnvelope,
    ) -> Result<bool, StoreError> {
        if !self.joined.contains_key(join.projection) {
            return Ok(false);
        }
        let (kind, id) = (join.aggregate_type, join.aggregate_id.as_str());
        let mut needed = self.handled(kind, id).await?;
        let aggregate = (kind.to_owned(), id.to_owned());
        if let Some(last) = self.in_batch.get(&aggregate) {
            needed = needed.max(*last);
        }
        if envelope.aggregate_type == kind && envelope.aggregate_id == id {
            needed = needed.max(envelope.sequence);
        }
        let seen = self
            .progress
            .entry((join.projection, kind.to_owned(), id.to_owned()))
            .or_insert(0);
        if *seen < needed {
            *seen = target
                .progress(join.schema, join.projection, kind, id)
                .await?;
        }
        Ok(*seen >= needed)
    }
}
