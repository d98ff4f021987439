//! [`WorkflowStore`] on a SQL database: each process's row and its timers in the event
//! store's database, so a step commits its state and timers in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use eventwright_tables::sql::Dialect;

use super::backend::{Arg, Backend, Conn, SqlRow, Tx};
use super::event_store::SqlEventStore;
use super::{json_as_text as as_text, json_parameter as json};
use crate::store::integers::{to_i64, to_u64};
use crate::store::{Cursor, EventStore, Instance, Step, StoreError, Timer, WorkflowStore};

#[async_trait]
impl<B: Backend> WorkflowStore for SqlEventStore<B> {
    async fn load_instance(
        &self,
        workflow: &str,
        correlation: &str,
    ) -> Result<Option<Instance>, StoreError> {
        let dialect = self.db().dialect();
        let sql = format!(
            "SELECT version, {state} AS state, {marks} AS marks FROM eventwright_workflows \
             WHERE workflow = {} AND correlation = {}",
            dialect.placeholder(1),
            dialect.placeholder(2),
            state = as_text(dialect, "state"),
            marks = as_text(dialect, "marks"),
        );
        let args = [Arg::Text(workflow), Arg::Text(correlation)];
        let Some(row) = self.db().pool().fetch_optional(&sql, &args).await? else {
            return Ok(None);
        };
        let corrupt = |error: serde_json::Error| {
            StoreError::Corrupt(format!("the process {workflow} {correlation}: {error}"))
        };
        let state = row
            .opt_text("state")?
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(corrupt)?;
        let marks = serde_json::from_str(&row.text("marks")?).map_err(corrupt)?;
        Ok(Some(Instance {
            version: to_u64(row.int("version")?)?,
            state,
            marks,
        }))
    }

    async fn commit_step(&self, step: Step<'_>) -> Result<(), StoreError> {
        // The transaction runs in a task of its own: a step given up half way (its task
        // aborted) would otherwise leave it open on a pooled connection, holding the process's
        // row until that connection is used again, and every later step of the process would
        // wait on it.
        let db = self.db().clone();
        let (workflow, correlation) = (step.workflow.to_owned(), step.correlation.to_owned());
        let fired = step.fired.cloned();
        let (read_version, state, marks, schedule, cancel) = (
            step.read_version,
            step.state,
            step.marks,
            step.schedule,
            step.cancel,
        );
        let committing = tokio::spawn(async move {
            let step = Step {
                workflow: &workflow,
                correlation: &correlation,
                read_version,
                state,
                marks,
                fired: fired.as_ref(),
                schedule,
                cancel,
            };
            commit(&db, step).await
        });
        committing.await.map_err(|stopped| {
            StoreError::Unavailable(format!("a workflow step's commit stopped: {stopped}"))
        })?
    }

    async fn timer(
        &self,
        workflow: &str,
        correlation: &str,
        name: &str,
    ) -> Result<Option<Timer>, StoreError> {
        let dialect = self.db().dialect();
        let sql = format!(
            "{} WHERE workflow = {} AND correlation = {} AND name = {}",
            select_timers(dialect),
            dialect.placeholder(1),
            dialect.placeholder(2),
            dialect.placeholder(3)
        );
        let args = [Arg::Text(workflow), Arg::Text(correlation), Arg::Text(name)];
        let row = self.db().pool().fetch_optional(&sql, &args).await?;
        row.map(|row| timer(row.as_ref())).transpose()
    }

    async fn due_timers(
        &self,
        workflow: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Timer>, StoreError> {
        let dialect = self.db().dialect();
        let sql = format!(
            "{} WHERE workflow = {} AND due_ms <= {} ORDER BY due_ms LIMIT {}",
            select_timers(dialect),
            dialect.placeholder(1),
            dialect.placeholder(2),
            dialect.placeholder(3)
        );
        let args = [
            Arg::Text(workflow),
            Arg::Int(now.timestamp_millis()),
            Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
        ];
        let rows = self.db().pool().fetch_all(&sql, &args).await?;
        rows.iter().map(|row| timer(row.as_ref())).collect()
    }

    async fn pending_timers(&self, workflow: &str) -> Result<u64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) AS pending FROM eventwright_timers WHERE workflow = {}",
            self.db().dialect().placeholder(1)
        );
        let row = self
            .db()
            .pool()
            .fetch_optional(&sql, &[Arg::Text(workflow)])
            .await?;
        row.map_or(Ok(0), |row| to_u64(row.int("pending")?))
    }

    async fn workflow_checkpoint(&self, workflow: &str) -> Result<Cursor, StoreError> {
        self.relay_checkpoint(&checkpoint_name(workflow)).await
    }

    async fn save_workflow_checkpoint(
        &self,
        workflow: &str,
        cursor: Cursor,
    ) -> Result<(), StoreError> {
        self.save_relay_checkpoint(&checkpoint_name(workflow), cursor)
            .await
    }
}

/// Commits a step in one transaction: see [`WorkflowStore::commit_step`].
async fn commit<B: Backend>(db: &B, step: Step<'_>) -> Result<(), StoreError> {
    let dialect = db.dialect();
    let p = |n| dialect.placeholder(n);
    let conflict = || StoreError::Conflict {
        aggregate_type: format!("workflow {}", step.workflow),
        aggregate_id: step.correlation.to_owned(),
        sequence: step.read_version + 1,
    };
    let state = step.state.as_ref().map(ToString::to_string);
    let marks = serde_json::to_string(&step.marks)
        .map_err(|error| StoreError::Corrupt(format!("marks: {error}")))?;
    let mut tx = db.begin().await?;
    let moved = if step.read_version == 0 {
        let sql = format!(
            "INSERT INTO eventwright_workflows (workflow, correlation, version, state, marks) \
             VALUES ({}, {}, 1, {}, {}) ON CONFLICT (workflow, correlation) DO NOTHING",
            p(1),
            p(2),
            json(dialect, 3),
            json(dialect, 4)
        );
        let args = [
            Arg::Text(step.workflow),
            Arg::Text(step.correlation),
            Arg::OptText(state.as_deref()),
            Arg::Text(&marks),
        ];
        tx.execute(&sql, &args).await?
    } else {
        let sql = format!(
            "UPDATE eventwright_workflows SET version = version + 1, state = {}, marks = {} \
             WHERE workflow = {} AND correlation = {} AND version = {}",
            json(dialect, 1),
            json(dialect, 2),
            p(3),
            p(4),
            p(5)
        );
        let args = [
            Arg::OptText(state.as_deref()),
            Arg::Text(&marks),
            Arg::Text(step.workflow),
            Arg::Text(step.correlation),
            Arg::Int(to_i64(step.read_version)?),
        ];
        tx.execute(&sql, &args).await?
    };
    if moved != 1 {
        return Err(conflict());
    }
    if let Some(fired) = step.fired {
        let sql = format!(
            "DELETE FROM eventwright_timers \
             WHERE workflow = {} AND correlation = {} AND name = {} AND due_ms = {}",
            p(1),
            p(2),
            p(3),
            p(4)
        );
        let args = [
            Arg::Text(step.workflow),
            Arg::Text(step.correlation),
            Arg::Text(&fired.name),
            Arg::Int(fired.due.timestamp_millis()),
        ];
        if tx.execute(&sql, &args).await? != 1 {
            return Err(conflict());
        }
    }
    if step.state.is_none() {
        // A finished process's timers go with it.
        let sql = format!(
            "DELETE FROM eventwright_timers WHERE workflow = {} AND correlation = {}",
            p(1),
            p(2)
        );
        tx.execute(
            &sql,
            &[Arg::Text(step.workflow), Arg::Text(step.correlation)],
        )
        .await?;
        return tx.commit().await;
    }
    let cancel = format!(
        "DELETE FROM eventwright_timers \
         WHERE workflow = {} AND correlation = {} AND name = {}",
        p(1),
        p(2),
        p(3)
    );
    for name in &step.cancel {
        let args = [
            Arg::Text(step.workflow),
            Arg::Text(step.correlation),
            Arg::Text(name),
        ];
        tx.execute(&cancel, &args).await?;
    }
    let schedule = format!(
        "INSERT INTO eventwright_timers (workflow, correlation, name, due_ms, timer) \
         VALUES ({}, {}, {}, {}, {}) ON CONFLICT (workflow, correlation, name) \
         DO UPDATE SET due_ms = excluded.due_ms, timer = excluded.timer",
        p(1),
        p(2),
        p(3),
        p(4),
        json(dialect, 5)
    );
    for timer in &step.schedule {
        let payload = timer.timer.to_string();
        let args = [
            Arg::Text(step.workflow),
            Arg::Text(step.correlation),
            Arg::Text(&timer.name),
            Arg::Int(timer.due.timestamp_millis()),
            Arg::Text(&payload),
        ];
        tx.execute(&schedule, &args).await?;
    }
    tx.commit().await
}

/// A workflow's checkpoint is kept beside the relays', under a name no relay takes.
fn checkpoint_name(workflow: &str) -> String {
    format!("workflow:{workflow}")
}

fn select_timers(dialect: Dialect) -> String {
    format!(
        "SELECT workflow, correlation, name, due_ms, {} AS timer FROM eventwright_timers",
        as_text(dialect, "timer")
    )
}

fn timer(row: &dyn SqlRow) -> Result<Timer, StoreError> {
    let due_ms = row.int("due_ms")?;
    let due = DateTime::from_timestamp_millis(due_ms)
        .ok_or_else(|| StoreError::Corrupt(format!("a timer due at {due_ms} ms")))?;
    let timer = serde_json::from_str(&row.text("timer")?)
        .map_err(|error| StoreError::Corrupt(format!("a timer: {error}")))?;
    Ok(Timer {
        workflow: row.text("workflow")?,
        correlation: row.text("correlation")?,
        name: row.text("name")?,
        due,
        timer,
    })
}
