//! Statements run on the session: prepared once per text, at the configured consistency.

use scylla::response::query_result::QueryResult;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::{CqlValue, Row as CqlRow};

use super::backend;
use super::read_store::CassandraReadStore;
use crate::store::StoreError;

impl CassandraReadStore {
    /// The statement `text`, prepared once, at the configured consistency.
    pub(super) async fn statement(&self, text: String) -> Result<PreparedStatement, StoreError> {
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

    /// Runs the statement `text` with `values`.
    pub(super) async fn execute(
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

    /// The rows the statement `text` returns.
    pub(super) async fn rows(
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
    pub(super) async fn applied(
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

    /// Runs schema statements, unprepared: each runs once.
    pub(super) async fn run_all(
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
}
