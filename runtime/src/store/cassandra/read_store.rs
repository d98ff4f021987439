use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use scylla::client::session::Session;
use scylla::response::query_result::QueryResult;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::{CqlValue, Row as CqlRow};
use serde_json::Value;
use tokio::sync::RwLock;

use super::cql;
use super::values::{from_cql, to_cql};
use super::{CassandraConfig, backend};
use crate::schema::{ColumnDef, TableSchema};
use crate::store::sql::{to_cursor, to_i64, to_u64};
use crate::store::{Cursor, Decide, Mark, ReadStore, Row, RowChange, StoreError};

/// Projection tables in Cassandra, designed from the queries they serve; see the
/// [module docs](super) for the tables and the consistency model.
pub struct CassandraReadStore {
    session: Arc<Session>,
    config: CassandraConfig,
    /// Prepared once per statement text.
    prepared: RwLock<HashMap<String, PreparedStatement>>,
}

impl std::fmt::Debug for CassandraReadStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CassandraReadStore")
            .field("nodes", &self.config.nodes)
            .field("keyspace", &self.config.keyspace)
            .finish_non_exhaustive()
    }
}

/// How many times a write that lost a race on its row is decided again before giving up (the
/// projector then retries the event as a whole). With the growing waits between them, about
/// five seconds of contention.
const CONTENDED_ATTEMPTS: u32 = 32;

/// A main-table row as read: the data, and its bookkeeping.
struct Stored {
    data: Row,
    version: i64,
    applied: HashMap<String, i64>,
    previous: HashMap<String, String>,
    deleted: bool,
}

impl CassandraReadStore {
    pub fn new(session: Arc<Session>, config: CassandraConfig) -> Self {
        Self {
            session,
            config,
            prepared: RwLock::default(),
        }
    }

    async fn statement(&self, text: String) -> Result<PreparedStatement, StoreError> {
        if let Some(prepared) = self.prepared.read().await.get(&text) {
            return Ok(prepared.clone());
        }
        let mut prepared = self
            .session
            .prepare(text.as_str())
            .await
            .map_err(|error| backend(&self.config, error))?;
        prepared.set_consistency(self.config.consistency);
        prepared.set_serial_consistency(Some(self.config.serial_consistency));
        self.prepared.write().await.insert(text, prepared.clone());
        Ok(prepared)
    }

    async fn execute(
        &self,
        text: String,
        values: Vec<Option<CqlValue>>,
    ) -> Result<QueryResult, StoreError> {
        let prepared = self.statement(text).await?;
        self.session
            .execute_unpaged(&prepared, values)
            .await
            .map_err(|error| backend(&self.config, error))
    }

    async fn rows(
        &self,
        text: String,
        values: Vec<Option<CqlValue>>,
    ) -> Result<Vec<CqlRow>, StoreError> {
        let result = self.execute(text, values).await?;
        let rows = result
            .into_rows_result()
            .map_err(|error| backend(&self.config, error))?;
        rows.rows::<CqlRow>()
            .map_err(|error| backend(&self.config, error))?
            .map(|row| row.map_err(|error| backend(&self.config, error)))
            .collect()
    }

    /// Whether a conditional statement took effect (its result's `[applied]` column).
    async fn applied(
        &self,
        text: String,
        values: Vec<Option<CqlValue>>,
    ) -> Result<bool, StoreError> {
        let rows = self.rows(text, values).await?;
        Ok(matches!(
            rows.first().and_then(|row| row.columns.first()),
            Some(Some(CqlValue::Boolean(true)))
        ))
    }

    async fn read(&self, schema: &TableSchema, key: &Value) -> Result<Option<Stored>, StoreError> {
        let keyspace = &self.config.keyspace;
        let rows = self
            .rows(
                cql::select_row(keyspace, schema),
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

    /// Brings the list tables in line with the main row at `version`: removes the rows the
    /// listed fields' previous values keyed, and writes the current ones. Idempotent, and
    /// written at `version` as time, so a slower writer of an older version never wins.
    async fn sync_lists(
        &self,
        schema: &TableSchema,
        key: &Value,
        version: i64,
        previous: &HashMap<String, String>,
        current: Option<&Row>,
    ) -> Result<(), StoreError> {
        let keyspace = &self.config.keyspace;
        for field in schema.indexed {
            let column = column(schema, field)?;
            let now = current.map(|row| row.get(*field).cloned().unwrap_or(Value::Null));
            let before: Option<Value> = previous
                .get(*field)
                .and_then(|text| serde_json::from_str(text).ok());
            if let Some(before) =
                before.filter(|before| !before.is_null() && Some(before) != now.as_ref())
            {
                self.execute(
                    cql::delete_listed(keyspace, schema, field),
                    vec![
                        Some(CqlValue::BigInt(version)),
                        to_cql(column, &before)?,
                        to_cql(schema.key_column(), key)?,
                    ],
                )
                .await?;
            }
            if let Some(row) = current.filter(|_| now.as_ref().is_some_and(|now| !now.is_null())) {
                let mut values = data_values(schema, row)?;
                values.push(Some(CqlValue::BigInt(version)));
                self.execute(cql::insert_listed(keyspace, schema, field), values)
                    .await?;
            }
        }
        Ok(())
    }

    /// [`ReadStore::update`]'s row write, without the checkpoint or progress.
    async fn write_row(
        &self,
        schema: &TableSchema,
        mark: Mark<'_>,
        key: Option<&Value>,
        decide: Decide<'_>,
    ) -> Result<bool, StoreError> {
        let Some(key) = key else {
            // Nothing to write: only the checkpoint or the progress moves.
            decide(None).map_err(StoreError::Corrupt)?;
            return Ok(true);
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
                return Ok(false);
            }
            let current = stored
                .as_ref()
                .filter(|s| !s.deleted)
                .map(|s| s.data.clone());
            let (data, deleted) = match decide(current).map_err(StoreError::Corrupt)? {
                RowChange::None => {
                    return Ok(true);
                }
                RowChange::Upsert(mut row) => {
                    row.insert(schema.key.to_owned(), key.clone());
                    (row, false)
                }
                RowChange::Delete(_) => (Row::new(), true),
            };
            // The listed values this write replaces, for removing their list-table rows.
            let previous: HashMap<String, String> = schema
                .indexed
                .iter()
                .filter_map(|field| {
                    let stored = stored.as_ref().filter(|s| !s.deleted)?;
                    Some(((*field).to_owned(), stored.data.get(*field)?.to_string()))
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
            let written = match &stored {
                None => {
                    let version = 1;
                    let mut values = data_values(schema, &data)?;
                    values.extend([
                        Some(CqlValue::BigInt(version)),
                        Some(CqlValue::Map(vec![(
                            CqlValue::Text(marker.clone()),
                            CqlValue::BigInt(sequence),
                        )])),
                        previous_cql,
                        Some(CqlValue::Boolean(deleted)),
                    ]);
                    self.applied(cql::insert_if_absent(keyspace, schema), values)
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
                        Some(CqlValue::Text(marker.clone())),
                        Some(CqlValue::BigInt(sequence)),
                        previous_cql,
                        Some(CqlValue::Boolean(deleted)),
                        to_cql(schema.key_column(), key)?,
                        Some(CqlValue::BigInt(stored.version)),
                    ]);
                    self.applied(cql::update_if_version(keyspace, schema), values)
                        .await?
                        .then_some(version)
                }
            };
            let Some(version) = written else {
                // Another writer changed the row since it was read: decide again on the new one,
                // after a random wait that grows with each loss, so writers of a hot row spread
                // out instead of colliding again at once.
                tokio::time::sleep(crate::dispatch::backoff(attempt)).await;
                continue;
            };
            let current = (!deleted).then_some(&data);
            self.sync_lists(schema, key, version, &previous, current)
                .await?;
            return Ok(true);
        }
        Err(StoreError::Unavailable(format!(
            "row {key} of {} kept changing under {CONTENDED_ATTEMPTS} attempts to write it",
            schema.name
        )))
    }

    async fn move_progress(&self, schema: &TableSchema, mark: Mark<'_>) -> Result<(), StoreError> {
        let sequence = to_i64(mark.sequence)?;
        self.execute(
            cql::save_progress(&self.config.keyspace, schema),
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

    /// Runs schema statements, unprepared: each runs once.
    async fn run_all(
        &self,
        statements: impl IntoIterator<Item = String>,
    ) -> Result<(), StoreError> {
        for statement in statements {
            self.session
                .query_unpaged(statement, ())
                .await
                .map_err(|error| backend(&self.config, error))?;
        }
        Ok(())
    }

    async fn move_checkpoint(&self, projection: &str, cursor: Cursor) -> Result<(), StoreError> {
        self.execute(
            cql::save_checkpoint(&self.config.keyspace),
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

#[async_trait]
impl ReadStore for CassandraReadStore {
    async fn prepare_bookkeeping(&self) -> Result<(), StoreError> {
        let keyspace = &self.config.keyspace;
        self.run_all([
            cql::create_checkpoints(keyspace),
            cql::create_generations(keyspace),
        ])
        .await
    }

    async fn prepare(&self, schema: &TableSchema) -> Result<(), StoreError> {
        self.prepare_bookkeeping().await?;
        self.run_all(cql::create_tables(&self.config.keyspace, schema))
            .await
    }

    async fn active(&self, projection: &str) -> Result<u64, StoreError> {
        let rows = self
            .rows(
                cql::select_generation(&self.config.keyspace),
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
            cql::activate_generation(&self.config.keyspace),
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
        schema: &TableSchema,
        projection: &str,
    ) -> Result<(), StoreError> {
        let keyspace = &self.config.keyspace;
        self.run_all(cql::drop_tables(keyspace, schema)).await?;
        self.execute(
            cql::delete_checkpoint(keyspace),
            vec![Some(CqlValue::Text(projection.to_owned()))],
        )
        .await?;
        Ok(())
    }

    async fn checkpoint(&self, projection: &str) -> Result<Cursor, StoreError> {
        let rows = self
            .rows(
                cql::select_checkpoint(&self.config.keyspace),
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
        schema: &TableSchema,
        _: &str,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<u64, StoreError> {
        let rows = self
            .rows(
                cql::select_progress(&self.config.keyspace, schema),
                vec![Some(CqlValue::Text(marker(aggregate_type, aggregate_id)))],
            )
            .await?;
        match rows.first().and_then(|row| row.columns.first()) {
            Some(Some(CqlValue::BigInt(sequence))) => to_u64(*sequence),
            _ => Ok(0),
        }
    }

    async fn get(&self, schema: &TableSchema, key: &Value) -> Result<Option<Row>, StoreError> {
        Ok(self
            .read(schema, key)
            .await?
            .filter(|stored| !stored.deleted)
            .map(|stored| stored.data))
    }

    async fn update(
        &self,
        schema: &TableSchema,
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
        let applied = self.write_row(schema, mark, key, decide).await?;
        // Recorded after the row, so a crash between the two only makes a reader wait for a
        // redelivery; it never shows a row as caught up before it is.
        match mark.cursor {
            Some(cursor) => self.move_checkpoint(projection, cursor).await?,
            None => self.move_progress(schema, mark).await?,
        }
        Ok(applied)
    }

    async fn list(
        &self,
        schema: &TableSchema,
        field: &str,
        value: &Value,
        after_key: Option<&Value>,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        if !schema.indexed.contains(&field) {
            return Err(StoreError::Corrupt(format!(
                "{} has no list by `{field}`: Cassandra serves only the lists its tables were \
                 designed for",
                schema.name
            )));
        }
        let mut values = vec![to_cql(column(schema, field)?, value)?];
        if let Some(key) = after_key {
            values.push(to_cql(schema.key_column(), key)?);
        }
        values.push(Some(CqlValue::Int(
            i32::try_from(limit).unwrap_or(i32::MAX),
        )));
        let text = cql::list(&self.config.keyspace, schema, field, after_key.is_some());
        self.rows(text, values)
            .await?
            .into_iter()
            .map(|row| {
                let mut data = Row::new();
                for (column, value) in schema.columns.iter().zip(row.columns) {
                    data.insert(column.name.to_owned(), from_cql(column, value)?);
                }
                Ok(data)
            })
            .collect()
    }
}

/// How a row's applied map and the progress table name an aggregate.
fn marker(aggregate_type: &str, aggregate_id: &str) -> String {
    format!("{aggregate_type}/{aggregate_id}")
}

fn column<'a>(schema: &'a TableSchema, field: &str) -> Result<&'a ColumnDef, StoreError> {
    schema
        .column(field)
        .ok_or_else(|| StoreError::Corrupt(format!("{} has no column `{field}`", schema.name)))
}

fn data_values(schema: &TableSchema, row: &Row) -> Result<Vec<Option<CqlValue>>, StoreError> {
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
