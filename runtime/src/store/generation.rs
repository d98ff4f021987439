//! Generations of a projection: a rebuild fills a new generation beside the live one, under
//! names of its own, and switches queries and projectors to it once it has caught up.
//!
//! Generation 0 uses the projection's own names; generation `n` keeps its rows in the table
//! `<table>_g<n>` and its checkpoint and marks under `<projection>@<n>`. The store records
//! which generation is [active](ReadStore::active). [`AtGeneration`] is the read store as one
//! generation sees it, so projectors and queries need not know about generations at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;

use crate::store::{
    Cursor, Decide, Find, LogEntry, Mark, ReadStore, Row, RowChange, StoreError, Update,
};
use crate::table::{Summary, TableSchema};

/// The name a projection's checkpoint and marks go by in `generation`.
pub fn projection_name(projection: &str, generation: u64) -> String {
    match generation {
        0 => projection.to_owned(),
        n => format!("{projection}@{n}"),
    }
}

/// Under this name, the generations table records the last generation of `projection` whose
/// consumers have replayed the log since the switch: the engine does that once per generation
/// for feeds that mark events per aggregate.
pub fn replayed_marker(projection: &str) -> String {
    format!("{projection}#replayed")
}

/// The name of the projection's table in `generation`: its own in generation 0.
pub fn table_name(table: &str, generation: u64) -> String {
    match generation {
        0 => table.to_owned(),
        n => format!("{table}_g{n}"),
    }
}

/// A read store as one generation of every projection sees it.
#[derive(Debug, Clone)]
pub struct AtGeneration {
    inner: Arc<dyn ReadStore>,
    generation: u64,
}

impl AtGeneration {
    pub fn new(inner: Arc<dyn ReadStore>, generation: u64) -> Self {
        Self { inner, generation }
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The store of every generation, beneath this view of one.
    pub fn shared(&self) -> &Arc<dyn ReadStore> {
        &self.inner
    }

    /// Whether this generation's tables were built for another shape of `schema` (a field, a
    /// list or a count added or changed since); tables from before shapes were recorded are
    /// taken as built for it.
    pub async fn built_for_another_shape(
        &self,
        schema: &TableSchema<'_>,
    ) -> Result<bool, StoreError> {
        let built_for = self.shape(schema).await?;
        Ok(built_for.is_some_and(|shape| shape != schema.shape()))
    }

    fn name(&self, projection: &str) -> String {
        projection_name(projection, self.generation)
    }

    fn table(&self, schema: &TableSchema<'_>) -> String {
        table_name(schema.name, self.generation)
    }
}

#[async_trait]
impl ReadStore for AtGeneration {
    async fn prepare_bookkeeping(&self) -> Result<(), StoreError> {
        self.inner.prepare_bookkeeping().await
    }

    async fn prepare(&self, schema: &TableSchema<'_>) -> Result<(), StoreError> {
        self.inner
            .prepare(&schema.renamed(&self.table(schema)))
            .await
    }

    async fn active(&self, projection: &str) -> Result<u64, StoreError> {
        self.inner.active(projection).await
    }

    async fn activate(&self, projection: &str, generation: u64) -> Result<(), StoreError> {
        self.inner.activate(projection, generation).await
    }

    async fn save_checkpoint(&self, projection: &str, cursor: Cursor) -> Result<(), StoreError> {
        self.inner
            .save_checkpoint(&self.name(projection), cursor)
            .await
    }

    async fn drop_projection(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
    ) -> Result<(), StoreError> {
        self.inner
            .drop_projection(&schema.renamed(&self.table(schema)), &self.name(projection))
            .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError> {
        self.inner.checkpoint(&self.name(projection)).await
    }

    async fn progress(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<u64, StoreError> {
        self.inner
            .progress(
                &schema.renamed(&self.table(schema)),
                &self.name(projection),
                aggregate_type,
                aggregate_id,
            )
            .await
    }

    async fn get(&self, schema: &TableSchema<'_>, key: &Value) -> Result<Option<Row>, StoreError> {
        self.inner
            .get(&schema.renamed(&self.table(schema)), key)
            .await
    }

    async fn update(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        mark: Mark<'_>,
        key: Option<&Value>,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError> {
        self.inner
            .update(
                &schema.renamed(&self.table(schema)),
                &self.name(projection),
                mark,
                key,
                decide,
            )
            .await
    }

    async fn update_many(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        updates: Vec<Update<'_>>,
    ) -> Result<Vec<bool>, StoreError> {
        self.inner
            .update_many(
                &schema.renamed(&self.table(schema)),
                &self.name(projection),
                updates,
            )
            .await
    }

    async fn apply(
        &self,
        schema: &TableSchema<'_>,
        projection: &str,
        entry: &LogEntry,
        change: RowChange,
    ) -> Result<bool, StoreError> {
        self.inner
            .apply(
                &schema.renamed(&self.table(schema)),
                &self.name(projection),
                entry,
                change,
            )
            .await
    }

    async fn group(
        &self,
        schema: &TableSchema<'_>,
        summary: &Summary<'_>,
        value: &Value,
    ) -> Result<Option<Row>, StoreError> {
        self.inner
            .group(&schema.renamed(&self.table(schema)), summary, value)
            .await
    }

    async fn groups(
        &self,
        schema: &TableSchema<'_>,
        summary: &Summary<'_>,
        after: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        self.inner
            .groups(&schema.renamed(&self.table(schema)), summary, after, limit)
            .await
    }

    async fn shape(&self, schema: &TableSchema<'_>) -> Result<Option<String>, StoreError> {
        self.inner.shape(&schema.renamed(&self.table(schema))).await
    }

    async fn record_shape(&self, schema: &TableSchema<'_>) -> Result<(), StoreError> {
        self.inner
            .record_shape(&schema.renamed(&self.table(schema)))
            .await
    }

    async fn find(&self, schema: &TableSchema<'_>, find: Find<'_>) -> Result<Vec<Row>, StoreError> {
        self.inner
            .find(&schema.renamed(&self.table(schema)), find)
            .await
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
        self.inner
            .update_where(
                &schema.renamed(&self.table(schema)),
                &self.name(projection),
                mark,
                column,
                value,
                decide,
            )
            .await
    }

    async fn list_all(
        &self,
        schema: &TableSchema<'_>,
        after_key: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        self.inner
            .list_all(&schema.renamed(&self.table(schema)), after_key, limit)
            .await
    }
}

/// The active generation of each projection, as queries see it, with the shape its tables were
/// built for: looked up at most once per `ttl`, so a switch reaches every query within that
/// time.
#[derive(Debug, Clone)]
pub struct ActiveGenerations {
    store: Arc<dyn ReadStore>,
    ttl: Duration,
    seen: Arc<Mutex<HashMap<String, Seen>>>,
}

#[derive(Debug, Clone)]
struct Seen {
    generation: u64,
    /// Whether its tables were built for the projection as the code has it now (or before
    /// shapes were recorded).
    current: bool,
    at: Instant,
}

impl ActiveGenerations {
    pub fn new(store: Arc<dyn ReadStore>, ttl: Duration) -> Self {
        Self {
            store,
            ttl,
            seen: Arc::default(),
        }
    }

    /// The store as `schema`'s projection `projection` sees it in its active generation, and
    /// whether that generation's tables were built for `schema` as it is.
    pub async fn of(
        &self,
        projection: &str,
        schema: &TableSchema<'_>,
    ) -> Result<(AtGeneration, bool), StoreError> {
        let cached = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(projection)
            .filter(|seen| seen.at.elapsed() < self.ttl)
            .cloned();
        let seen = match cached {
            Some(seen) => seen,
            None => {
                let generation = self.store.active(projection).await?;
                let changed = AtGeneration::new(Arc::clone(&self.store), generation)
                    .built_for_another_shape(schema)
                    .await?;
                let seen = Seen {
                    generation,
                    current: !changed,
                    at: Instant::now(),
                };
                self.seen
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .insert(projection.to_owned(), seen.clone());
                seen
            }
        };
        Ok((
            AtGeneration::new(Arc::clone(&self.store), seen.generation),
            seen.current,
        ))
    }
}
