//! The read side's store: projection rows, checkpoints, marks and generations.

use async_trait::async_trait;
use serde_json::Value;

use super::{Cursor, LogEntry, Row, StoreError};
use crate::event::EventEnvelope;
use crate::table::{Index, Summary, TableSchema};

/// What an event does to a projection's table, in the store's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum RowChange {
    /// Nothing to write; the checkpoint still moves.
    None,
    Upsert(Row),
    Delete(Value),
}

/// What [`ReadStore::update`] does with the row it read: the change to write, or why the row
/// cannot be changed. A store without transactions may call it again on a row that changed
/// under it, so it must depend on nothing but the row.
pub type Decide<'a> = Box<dyn Fn(Option<Row>) -> Result<RowChange, String> + Send + Sync + 'a>;

/// The event a read store is applying, and how it tells that event from one applied already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: u64,
    /// The event's place in the log, when events arrive in log order (the in-process bus reads
    /// the log): one checkpoint per projection, which each event's cursor must pass. `None` when
    /// each aggregate's events arrive in order but aggregates interleave (a partitioned broker):
    /// then the last sequence applied per aggregate is what the event's must pass.
    pub cursor: Option<Cursor>,
}

impl<'a> Mark<'a> {
    /// An event read from the log at `cursor`.
    pub fn in_log(envelope: &'a EventEnvelope, cursor: Cursor) -> Self {
        Self {
            cursor: Some(cursor),
            ..Self::delivered(envelope)
        }
    }

    /// An event delivered by a broker, in order for its aggregate only.
    pub fn delivered(envelope: &'a EventEnvelope) -> Self {
        Self {
            aggregate_type: &envelope.aggregate_type,
            aggregate_id: &envelope.aggregate_id,
            sequence: envelope.sequence,
            cursor: None,
        }
    }
}

/// One event's change to a projection, as [`ReadStore::update_many`] takes it.
pub struct Update<'a> {
    pub mark: Mark<'a>,
    /// The rows `decide` is given.
    pub target: Target,
    pub decide: Decide<'a>,
}

/// The rows one event's [`Update`] reads and passes to its `decide`.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The row under this key, or `None` when there is none ([`ReadStore::update`]).
    Key(Value),
    /// No row is read: `decide` gets `None`. For a change decided beforehand, or for an event
    /// the projection does not consume, whose mark moves alone.
    Unread,
    /// Every row whose `column` holds `value`, each in turn; none is created
    /// ([`ReadStore::update_where`]).
    Where { column: &'static str, value: Value },
}

impl std::fmt::Debug for Update<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Update")
            .field("mark", &self.mark)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// What [`ReadStore::find`] reads: one page of the rows an [`Index`] finds.
#[derive(Debug, Clone, Copy)]
pub struct Find<'a> {
    pub index: &'a Index<'a>,
    /// The value of each of the index's `equal` columns, in their order.
    pub equal: &'a [Value],
    /// Rows whose `order` column is at least this.
    pub from: Option<&'a Value>,
    /// Rows whose `order` column is less than this.
    pub before: Option<&'a Value>,
    /// Whether the page runs from the greatest `order` (then key) down.
    pub descending: bool,
    /// Where the previous page ended: the page starts just past it.
    pub after: Option<&'a RowPosition>,
    pub limit: usize,
}

impl<'a> Find<'a> {
    /// The first `limit` rows `index` finds holding `equal`, ascending, over its whole order:
    /// narrow it with struct update syntax (`Find { after, ..Find::new(..) }`).
    pub fn new(index: &'a Index<'a>, equal: &'a [Value], limit: usize) -> Self {
        Find {
            index,
            equal,
            from: None,
            before: None,
            descending: false,
            after: None,
            limit,
        }
    }

    /// That `schema` declares the index, with as many values as it compares, and a range only
    /// where it orders: what every store asks before it reads.
    pub fn check(&self, schema: &TableSchema<'_>) -> Result<(), StoreError> {
        let name = self.index.name(schema.name);
        if !schema.indexes.contains(self.index) {
            return Err(StoreError::Unsupported(format!(
                "{} declares no index `{name}`: a find reads only the indexes its table was \
                 prepared with",
                schema.name
            )));
        }
        if self.equal.len() != self.index.equal.len() {
            return Err(StoreError::Unsupported(format!(
                "index `{name}` compares {} columns, and the find gave {} values",
                self.index.equal.len(),
                self.equal.len()
            )));
        }
        if self.index.order.is_none() && (self.from.is_some() || self.before.is_some()) {
            return Err(StoreError::Unsupported(format!(
                "index `{name}` has no order to take a range of"
            )));
        }
        Ok(())
    }
}

/// A row's place in an index's order: its `order` column's value, when the index has one, and
/// its key. Pages start after one, so rows changing elsewhere in the order never shift them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RowPosition {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Value>,
    pub key: Value,
}

impl RowPosition {
    /// Where `row` stands in `index`'s order.
    pub fn of(schema: &TableSchema<'_>, index: &Index<'_>, row: &Row) -> Option<Self> {
        Some(Self {
            order: match index.order {
                Some(order) => Some(row.get(order)?.clone()),
                None => None,
            },
            key: row.get(schema.key)?.clone(),
        })
    }
}

/// Projection tables and checkpoints.
///
/// A projection's rows, checkpoint and marks live under its name and its table's name; a
/// rebuild writes a new generation of them under names of their own (see
/// [`generation`](crate::store::generation)), and queries follow [`active`](Self::active).
#[async_trait]
pub trait ReadStore: std::fmt::Debug + Send + Sync + 'static {
    /// Creates the tables every projection shares (checkpoints, marks, generations) if they are
    /// missing.
    async fn prepare_bookkeeping(&self) -> Result<(), StoreError>;

    /// Creates the shared tables and this projection's table and indexes, if they are missing.
    async fn prepare(&self, schema: &TableSchema<'_>) -> Result<(), StoreError>;

    /// The generation of `projection` that queries read and projectors keep up to date: 0 until
    /// its first rebuild.
    async fn active(&self, projection: &str) -> Result<u64, StoreError>;

    /// Makes `generation` of `projection` the active one. It never moves backwards.
    async fn activate(&self, projection: &str, generation: u64) -> Result<(), StoreError>;

    /// Moves `projection`'s checkpoint to `cursor`, unless it is there or past it already: for
    /// a replay that marks events per aggregate, to remember how far it read the log.
    async fn save_checkpoint(&self, projection: &str, cursor: Cursor) -> Result<(), StoreError>;

    /// Drops the projection's tables and forgets its checkpoint and marks: what is left of a
    /// generation once another is active.
    async fn drop_projection(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
    ) -> Result<(), StoreError>;

    /// Whether the store answers, for a readiness check: by default, a read of a checkpoint.
    async fn ping(&self) -> Result<(), StoreError> {
        self.checkpoint("eventwright.ready").await.map(drop)
    }

    /// The cursor of the last event `projection` applied; [`Cursor::START`] before the first.
    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError>;

    /// The last sequence of one aggregate that `projection` has handled when its events are
    /// marked per aggregate (a partitioned broker); 0 before the first. Events the projection
    /// does not consume leave no mark.
    async fn progress(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<u64, StoreError>;

    /// The row with this key.
    async fn get(&self, schema: &TableSchema<'_>, key: &Value) -> Result<Option<Row>, StoreError>;

    /// In one transaction: unless `mark` shows the event was applied already, reads the row at
    /// `key` (when there is one), passes it to `decide`, writes the change it returns and moves
    /// the mark. Returns whether the event was applied; `false` is how redelivered events are
    /// skipped. Appliers of the same row take turns, so two processes projecting at once never
    /// lose each other's updates. An error from `decide` aborts the transaction and is returned
    /// as [`StoreError::Corrupt`].
    async fn update(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        mark: Mark<'_>,
        key: Option<&Value>,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError>;

    /// Several events' [`update`](Self::update)s and [`update_where`](Self::update_where)s,
    /// in order: each is skipped or applied as those would. Returns whether each was applied. A
    /// store with transactions commits them together, and writes none when one fails; the
    /// default applies them one by one and stops at the first failure; a store without
    /// transactions may write some of them before it fails (Cassandra writes rows of different
    /// keys at once). Either way the error is returned, and applying the events again
    /// one by one is safe (each is marked) and finds the event at fault.
    async fn update_many(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        updates: Vec<Update<'_>>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut applied = Vec::with_capacity(updates.len());
        for update in updates {
            let (mark, decide) = (update.mark, update.decide);
            applied.push(match &update.target {
                Target::Key(key) => {
                    self.update(schema, projection, mark, Some(key), decide)
                        .await?
                }
                Target::Unread => self.update(schema, projection, mark, None, decide).await?,
                Target::Where { column, value } => {
                    self.update_where(schema, projection, mark, column, value, decide)
                        .await?
                }
            });
        }
        Ok(applied)
    }

    /// [`update`](Self::update) with a change decided beforehand, for an event read from the
    /// log.
    async fn apply(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        entry: &LogEntry,
        change: RowChange,
    ) -> Result<bool, StoreError> {
        let decide: Decide<'_> = Box::new(move |_| Ok(change.clone()));
        let mark = Mark::in_log(&entry.envelope, entry.cursor);
        self.update(schema, projection, mark, None, decide).await
    }

    /// One page of the rows `find.index` finds, in its order: by its `order` column, then by
    /// key. The index is one of `schema.indexes`; a store that keeps a table per index has
    /// no other.
    async fn find(&self, schema: &TableSchema<'_>, find: Find<'_>) -> Result<Vec<Row>, StoreError>;

    /// [`update`](Self::update) for every row whose `column` holds `value`: unless `mark` shows
    /// the event was applied already, passes each such row to `decide` and writes the change it
    /// returns, then moves the mark. No row is created. Returns whether the event was applied.
    async fn update_where(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        mark: Mark<'_>,
        column: &str,
        value: &Value,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError>;

    /// Every row, at most `limit`, starting after the row keyed `after_key`, in an order that
    /// stays put while rows change: by key on the SQL stores, by the partitioner's token of the
    /// key on Cassandra (range reads from where the last page ended).
    async fn list_all(
        &self,
        schema: &TableSchema<'_>,
        after_key: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError>;

    /// The group of `summary` (one of `schema.summaries`) whose grouped column holds `value`:
    /// `{<column>: value, "count": n, <each summed column>: its sum}`; `None` when no row holds
    /// it.
    async fn group(
        &self,
        schema: &TableSchema<'_>,
        summary: &Summary<'_>,
        value: &Value,
    ) -> Result<Option<Row>, StoreError>;

    /// At most `limit` groups of `summary`, as [`group`](Self::group) gives them, starting
    /// after the group of value `after`: in value order on SQL stores, in the order of the
    /// value's token on Cassandra.
    async fn groups(
        &self,
        schema: &TableSchema<'_>,
        summary: &Summary<'_>,
        after: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError>;

    /// The shape ([`TableSchema::shape`]) `schema`'s tables were built for, as
    /// [`record_shape`](Self::record_shape) left it; `None` before.
    async fn shape(&self, schema: &TableSchema<'_>) -> Result<Option<String>, StoreError>;

    /// Records that `schema`'s tables are built for its shape.
    async fn record_shape(&self, schema: &TableSchema<'_>) -> Result<(), StoreError>;
}
