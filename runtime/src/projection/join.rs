//! A join done at write time: a projection copies fields from a row of another projection of
//! the same service (the book's title onto each loan row) when it applies an event.
//!
//! The row is read just before the event is applied, once the other projection has caught up
//! far enough that what it holds is no older than what the event's projection has seen:
//! - fed from the log, when its checkpoint is at or past the event's place in the log, so the
//!   row is the one every earlier event left;
//! - fed by a partitioned broker, when it has handled at least as many events of the aggregate
//!   keeping that row as the event's projection has (this event included, when it is one of
//!   them). Any later event of that aggregate reaches the event's projection after this one, so
//!   a projection that also applies those events (say, `MemberRenamed` to every loan row of the
//!   member) never ends with a stale copy.

use std::any::Any;
use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::Projection;
use crate::aggregate::Aggregate;
use crate::store::Row;
use crate::table::TableSchema;

/// Reads a stored row back as the projection's own type, boxed so that rows of any projection
/// can travel together.
type DecodeRow = fn(Row) -> Result<Box<dyn Any + Send + Sync>, serde_json::Error>;

/// A row of another projection that an event's change copies from: returned by
/// [`Project::joins`](crate::Project::joins), read by the engine and handed to
/// [`Project::project_joined`](crate::Project::project_joined).
#[derive(Clone)]
pub struct Join {
    pub(crate) projection: &'static str,
    pub(crate) schema: &'static TableSchema<'static>,
    /// The aggregate whose events keep the row, and the row's key as its id: what the row's
    /// freshness is measured by on a partitioned broker.
    pub(crate) aggregate_type: &'static str,
    pub(crate) aggregate_id: String,
    pub(crate) key: Value,
    pub(crate) decode: DecodeRow,
}

impl Join {
    /// The row of projection `Q` under `key`, a row that the events of aggregate `A` with that
    /// id keep (`Q`'s key is `A`'s id). `Q` must be listed in the joining projection's
    /// `#[projection(reads(..))]`, and run by the same engine.
    ///
    /// ```
    /// # use eventwright::projection::Join;
    /// # use eventwright::{Aggregate, Projection};
    /// # fn join<MemberRow: Projection, Member: Aggregate>(member_id: &str) -> Join {
    /// Join::row::<MemberRow, Member>(member_id)
    /// # }
    /// ```
    pub fn row<Q: Projection, A: Aggregate>(key: impl Serialize) -> Self {
        let key = serde_json::to_value(key).unwrap_or(Value::Null);
        let aggregate_id = match &key {
            Value::String(id) => id.clone(),
            other => other.to_string(),
        };
        Self {
            projection: Q::NAME,
            schema: &Q::SCHEMA,
            aggregate_type: A::TYPE,
            aggregate_id,
            key,
            decode: |row| {
                serde_json::from_value::<Q>(Value::Object(row))
                    .map(|row| Box::new(row) as Box<dyn Any + Send + Sync>)
            },
        }
    }

    /// The name of the projection it reads.
    pub fn projection(&self) -> &'static str {
        self.projection
    }

    /// The key of the row it reads.
    pub fn key(&self) -> &Value {
        &self.key
    }
}

impl std::fmt::Debug for Join {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Join")
            .field("projection", &self.projection)
            .field("aggregate_type", &self.aggregate_type)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The rows an event's [`Join`]s found, for
/// [`Project::project_joined`](crate::Project::project_joined). A row that does not exist
/// (yet) is simply absent.
#[derive(Default)]
pub struct Joined {
    /// By projection and key, the key as JSON text.
    rows: HashMap<(&'static str, String), Box<dyn Any + Send + Sync>>,
}

impl Joined {
    /// No rows: what an event that joins nothing is given.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds the row `join` found, read back as its projection's type.
    pub fn insert(&mut self, join: &Join, row: Row) -> Result<(), serde_json::Error> {
        let row = (join.decode)(row)?;
        self.rows
            .insert((join.projection, join.key.to_string()), row);
        Ok(())
    }

    /// The row of `Q` under `key`, when it was joined and exists.
    pub fn row<Q: Projection>(&self, key: impl Serialize) -> Option<&Q> {
        let key = serde_json::to_value(key).ok()?;
        self.rows
            .get(&(Q::NAME, key.to_string()))?
            .downcast_ref::<Q>()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

impl std::fmt::Debug for Joined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.rows.keys()).finish()
    }
}
