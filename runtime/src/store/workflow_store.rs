//! The write side's store for workflows: each process's state and the timers it scheduled,
//! kept beside the log so that a step's state and timers change in one transaction.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Cursor, StoreError};

/// One process of a process manager, as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Instance {
    /// Moves by one with each step: a step commits only from the version it read.
    pub version: u64,
    /// The process's state; `None` once it finished, when its later events are ignored.
    pub state: Option<Value>,
    /// The last sequence handled of each aggregate whose events reached the process, by
    /// `"{aggregate_type}/{aggregate_id}"`: an event delivered again is skipped. Keys starting
    /// with `@` are the workflow's own (where in the log the process started).
    pub marks: BTreeMap<String, u64>,
}

/// What one step of a process commits, all or nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<'a> {
    pub workflow: &'a str,
    pub correlation: &'a str,
    /// The version the step read; 0 for a process that had no row.
    pub read_version: u64,
    /// The state it leaves; `None` when the process finished (its timers go with it).
    pub state: Option<Value>,
    pub marks: BTreeMap<String, u64>,
    /// The timer this step fired: it must still be there, due when it was read, and goes.
    pub fired: Option<&'a Timer>,
    /// Timers to set, each replacing a pending one of its name.
    pub schedule: Vec<Timer>,
    /// Names of pending timers to drop.
    pub cancel: Vec<String>,
}

/// A timer of one process.
#[derive(Debug, Clone, PartialEq)]
pub struct Timer {
    pub workflow: String,
    pub correlation: String,
    /// Unique within the process: scheduling a name again moves that timer.
    pub name: String,
    pub due: DateTime<Utc>,
    /// What the workflow is given when it fires.
    pub timer: Value,
}

/// Where workflows keep their processes, timers and checkpoints. The SQL event stores are one.
#[async_trait]
pub trait WorkflowStore: std::fmt::Debug + Send + Sync + 'static {
    /// A process as stored, `None` before its first step.
    async fn load_instance(
        &self,
        workflow: &str,
        correlation: &str,
    ) -> Result<Option<Instance>, StoreError>;

    /// Commits a step: the state row moves from `read_version` to the next, the fired timer
    /// goes, the timers change. [`StoreError::Conflict`] and nothing written when another step
    /// of the process committed first, or the fired timer was moved or dropped meanwhile.
    async fn commit_step(&self, step: Step<'_>) -> Result<(), StoreError>;

    /// A pending timer of a process, by name.
    async fn timer(
        &self,
        workflow: &str,
        correlation: &str,
        name: &str,
    ) -> Result<Option<Timer>, StoreError>;

    /// Up to `limit` timers of `workflow` due at `now` or before, the earliest first.
    async fn due_timers(
        &self,
        workflow: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Timer>, StoreError>;

    /// How many timers of `workflow` are pending.
    async fn pending_timers(&self, workflow: &str) -> Result<u64, StoreError>;

    /// Where `workflow` stands in the log, when it is fed from the log; [`Cursor::START`]
    /// before its first event.
    async fn workflow_checkpoint(&self, workflow: &str) -> Result<Cursor, StoreError>;

    /// Moves that checkpoint forward; never backwards.
    async fn save_workflow_checkpoint(
        &self,
        workflow: &str,
        cursor: Cursor,
    ) -> Result<(), StoreError>;
}
