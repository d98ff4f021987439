//! Typed queries over the read store: get by key, list through an index or list all, with
//! keyset pagination.

mod cursor;
pub(crate) mod error;
mod find;
mod summaries;
mod watch;

pub use error::QueryError;
pub use find::Filter;
pub use watch::{Changes, Watch, Watched};

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::consistency::{self, ConsistencyToken};
use crate::projection::Projection;
use crate::store::generation::{ActiveGenerations, AtGeneration};
use crate::store::{EventStore, ReadStore, Row};
use crate::table::ColumnDef;

/// How many rows a page holds when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The most rows one page may hold.
pub const MAX_PAGE_SIZE: u32 = 500;
/// How soon queries follow a projection's switch to a rebuilt generation.
const GENERATION_TTL: Duration = Duration::from_secs(1);

/// Reads projections.
#[derive(Clone)]
pub struct ReadModels {
    /// The store as each projection's active generation sees it.
    generations: ActiveGenerations,
    consistency: Option<Consistency>,
    /// Set once the process stops: every open watch ends ([`ReadModels::close_watches`]).
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

/// What waiting for a consistency token takes: the event store, and how long to wait.
#[derive(Clone)]
struct Consistency {
    events: Arc<dyn EventStore>,
    wait: Duration,
}

impl std::fmt::Debug for ReadModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadModels").finish_non_exhaustive()
    }
}

/// Which page of a list to read: `?limit=20&cursor=...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page, passed back unchanged.
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass this back as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl ReadModels {
    pub fn new(store: Arc<dyn ReadStore>) -> Self {
        Self {
            generations: ActiveGenerations::new(store, GENERATION_TTL),
            consistency: None,
            closing: Arc::new(tokio::sync::watch::channel(false).0),
        }
    }

    /// Ends every open [watch](Self::watch), and every one opened later, with
    /// [`QueryError::Closing`]: a server shutting down gracefully waits for its open
    /// connections, and a watch would never end by itself.
    pub fn close_watches(&self) {
        self.closing.send_replace(true);
    }

    /// Lets reads wait for [consistency tokens](crate::consistency), up to `wait` each: the
    /// event store says where each token's event stands.
    pub fn with_consistency(mut self, events: Arc<dyn EventStore>, wait: Duration) -> Self {
        self.consistency = Some(Consistency { events, wait });
        self
    }

    /// `P`'s active generation, unless its tables were built for another shape of `P`: those
    /// cannot answer for it until its projector has rebuilt it.
    async fn active<P: Projection>(&self) -> Result<AtGeneration, QueryError> {
        match self.generations.of(P::NAME, &P::SCHEMA).await? {
            (target, true) => Ok(target),
            (_, false) => Err(QueryError::Rebuilding {
                projection: P::NAME,
            }),
        }
    }

    /// Waits until `P` has caught up with the consistency token `text`, which came in `field`.
    pub async fn wait_for<P: Projection>(
        &self,
        field: &'static str,
        text: &str,
    ) -> Result<(), QueryError> {
        let invalid = |message: &str| QueryError::InvalidParameter {
            field,
            message: message.to_owned(),
        };
        let Some(consistency) = &self.consistency else {
            return Err(invalid("this service does not take consistency tokens"));
        };
        let token = ConsistencyToken::parse(text)
            .ok_or_else(|| invalid("not a consistency token this service returned"))?;
        consistency::wait_for::<P>(
            consistency.events.as_ref(),
            &self.active::<P>().await?,
            &token,
            field,
            consistency.wait,
        )
        .await
    }

    /// The row of `P` with this key.
    pub async fn get<P: Projection>(&self, key: &impl Serialize) -> Result<Option<P>, QueryError> {
        let key = to_value(key)?;
        match self.active::<P>().await?.get(&P::SCHEMA, &key).await? {
            Some(row) => Ok(Some(from_row::<P>(row)?)),
            None => Ok(None),
        }
    }

    /// Every row of `P`, one page at a time: in key order on the SQL stores, in the order of the
    /// key's token on Cassandra. Either order stays put, so no row is skipped or repeated
    /// across pages while others change.
    pub async fn list_all<P: Projection>(&self, page: &PageRequest) -> Result<Page<P>, QueryError> {
        let (limit, after) = page_bounds(page, P::SCHEMA.key_column())?;
        let rows = self
            .active::<P>()
            .await?
            .list_all(&P::SCHEMA, after.as_ref(), limit + 1)
            .await?;
        into_page(rows, limit)
    }
}

/// The page's size, checked.
fn page_limit(page: &PageRequest) -> Result<usize, QueryError> {
    let limit = page.limit.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&limit) {
        return Err(QueryError::InvalidParameter {
            field: "limit",
            message: format!("must be between 1 and {MAX_PAGE_SIZE}, got {limit}"),
        });
    }
    Ok(limit as usize)
}

/// The page's size, checked, and the value of `column` it starts after.
fn page_bounds(
    page: &PageRequest,
    column: &ColumnDef<'_>,
) -> Result<(usize, Option<Value>), QueryError> {
    let after = page
        .cursor
        .as_deref()
        .map(|text| cursor::decode(text, column))
        .transpose()?;
    Ok((page_limit(page)?, after))
}

/// A page of `P` from up to `limit + 1` rows: the extra one says another page follows, from
/// after the last row kept.
fn into_page<P: Projection>(rows: Vec<Row>, limit: usize) -> Result<Page<P>, QueryError> {
    paged(
        rows,
        limit,
        |row| row.get(P::SCHEMA.key).map(cursor::encode),
        from_row::<P>,
    )
}

/// A page from up to `limit + 1` rows, each turned into an item by `item`: the extra row says
/// another page follows, from the cursor `cursor` gives for the last row kept.
fn paged<T>(
    mut rows: Vec<Row>,
    limit: usize,
    cursor: impl FnOnce(&Row) -> Option<String>,
    item: impl FnMut(Row) -> Result<T, QueryError>,
) -> Result<Page<T>, QueryError> {
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().and_then(cursor)
    } else {
        None
    };
    let items = rows.into_iter().map(item).collect::<Result<_, _>>()?;
    Ok(Page { items, next_cursor })
}

fn to_value(value: &impl Serialize) -> Result<Value, QueryError> {
    serde_json::to_value(value).map_err(|error| QueryError::InvalidParameter {
        field: "key",
        message: error.to_string(),
    })
}

fn from_row<P: Projection>(row: Row) -> Result<P, QueryError> {
    serde_json::from_value(Value::Object(row)).map_err(|error| QueryError::Row {
        projection: P::NAME,
        reason: error.to_string(),
    })
}
