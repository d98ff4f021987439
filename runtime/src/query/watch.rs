//! Live queries: the rows a query finds, then each change to them as the projection applies the
//! events that make it, resumable after a reconnect from the token of the last change received.
//!
//! A watch follows the event store's log, the one order every store and broker agrees on, not
//! the read store. For each event the projection consumes, it waits until the projection has
//! applied it (its checkpoint at or past the event, or its progress on the event's aggregate),
//! reads the rows the event changed, and sends those the query finds, and the keys of those it
//! no longer finds. The token is the event's place in the log, so a watch resumed from it sends
//! each later change once, and nothing from before.

use std::collections::{HashMap, VecDeque};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use super::{QueryError, ReadModels, from_row};
use crate::consistency::{self, ConsistencyToken};
use crate::opaque;
use crate::projection::{Projection, Rows};
use crate::store::entries::entries;
use crate::store::{Cursor, EventStore, Find, LogEntry, ReadStore, Row, RowPosition, StoreError};
use crate::table::{Index, TableSchema};

/// How many events a watch reads from the log at once.
const BATCH: usize = 256;
/// How many rows it reads from the read store at once.
const ROWS: usize = 500;
/// How often an idle watch looks at the log again.
const POLL: Duration = Duration::from_millis(100);
/// How long a watch waits for the projection to apply one event before it ends, to be resumed
/// from its last token.
const APPLY_WAIT: Duration = Duration::from_secs(30);

/// The rows a watch follows.
#[derive(Debug, Clone, PartialEq)]
pub enum Watched {
    /// The row under this key.
    Key(Value),
    /// The rows `index` (one of the projection's) finds holding `equal`, in its order.
    Found {
        index: &'static Index<'static>,
        equal: Vec<Value>,
    },
    /// Every row.
    All,
}

/// What a watch sends at once: the rows the query finds as they are after an event (or, first,
/// all of them), and the keys of the rows it no longer finds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changes<P> {
    /// Where the watch stands: resume after these changes with it.
    pub token: String,
    pub rows: Vec<P>,
    /// Keys of rows the query no longer finds: deleted, or changed out of it.
    pub gone: Vec<Value>,
}

/// What a watch last sent of a row, so it never sends the same twice.
#[derive(Debug, PartialEq)]
enum Sent {
    Row(Row),
    Gone,
}

/// A live query over projection `P`: [`next`](Self::next) gives each change in turn.
pub struct Watch<P> {
    models: ReadModels,
    events: Arc<dyn EventStore>,
    watched: Watched,
    /// The last event whose changes were sent.
    after: Cursor,
    /// Read from the log, not sent yet.
    pending: VecDeque<LogEntry>,
    /// Whether the first changes are to be every row the query finds.
    snapshot: bool,
    /// By key (as JSON text): what this watch last sent.
    sent: HashMap<String, Sent>,
    /// The furthest checkpoint of the projection seen: every event up to it is applied.
    checkpoint: Cursor,
    /// Set when the process stops.
    closing: tokio::sync::watch::Receiver<bool>,
    /// Whether the client holds exactly what this watch sent (it started with every row),
    /// so a row never sent needs no `gone`.
    knows_all: bool,
    _projection: PhantomData<fn() -> P>,
}

impl<P> std::fmt::Debug for Watch<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("watched", &self.watched)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl ReadModels {
    /// Watches the rows of `P` that `watched` names: every one first, then each change, or,
    /// given the `token` of changes received before, each change after those.
    pub async fn watch<P: Projection>(
        &self,
        watched: Watched,
        token: Option<&str>,
    ) -> Result<Watch<P>, QueryError> {
        let events = self
            .consistency
            .as_ref()
            .map(|consistency| Arc::clone(&consistency.events))
            .ok_or_else(|| {
                QueryError::Store(StoreError::Unsupported(
                    "watching a query follows the event store: give the read models it \
                     (ReadModels::with_consistency)"
                        .to_owned(),
                ))
            })?;
        let (after, snapshot) = match token {
            Some(text) => (decode(text)?, false),
            // From where the projection is sure to have applied everything; on a partitioned
            // broker that is its last replay, and the log after it is read again.
            None => (self.active::<P>().await?.checkpoint(P::NAME).await?, true),
        };
        Ok(Watch {
            models: self.clone(),
            events,
            watched,
            after,
            pending: VecDeque::new(),
            snapshot,
            sent: HashMap::new(),
            knows_all: snapshot,
            checkpoint: Cursor::START,
            closing: self.closing.subscribe(),
            _projection: PhantomData,
        })
    }
}

impl<P: Projection> Watch<P> {
    /// The next changes: every row the query finds, the first time when it started without a
    /// token; then those of the next event that changes any, waiting until there is one.
    ///
    /// Cancel-safe: dropped before it returns, it has taken nothing, and the next call gives
    /// what it would have.
    pub async fn next(&mut self) -> Result<Changes<P>, QueryError> {
        let mut closing = self.closing.clone();
        tokio::select! {
            biased;
            _ = closing.wait_for(|closing| *closing) => Err(QueryError::Closing),
            changes = self.next_changes() => changes,
        }
    }

    async fn next_changes(&mut self) -> Result<Changes<P>, QueryError> {
        if self.snapshot {
            let rows = self.every_row().await?;
            let touched = rows.into_iter().map(|row| (key_of::<P>(&row), Some(row)));
            let changes = self.commit(self.after, touched.collect())?;
            self.snapshot = false;
            return Ok(changes);
        }
        loop {
            if self.pending.is_empty() {
                let read = self.events.read_all(self.after, BATCH).await?;
                if read.is_empty() {
                    tokio::time::sleep(POLL).await;
                    continue;
                }
                self.pending.extend(read);
            }
            let Some(entry) = self.pending.front().cloned() else {
                continue;
            };
            let touched = self.touched(&entry).await?;
            // Nothing awaited from here on: the entry is taken only with its changes.
            self.pending.pop_front();
            self.after = entry.cursor;
            let changes = self.commit(entry.cursor, touched)?;
            if !changes.rows.is_empty() || !changes.gone.is_empty() {
                return Ok(changes);
            }
        }
    }

    /// The token of everything sent so far.
    pub fn token(&self) -> String {
        encode(self.after)
    }

    /// Every row the query finds now.
    async fn every_row(&self) -> Result<Vec<Row>, QueryError> {
        let store = self.models.active::<P>().await?;
        Ok(match &self.watched {
            Watched::Key(key) => store.get(&P::SCHEMA, key).await?.into_iter().collect(),
            Watched::Found { index, equal } => found(&store, &P::SCHEMA, index, equal).await?,
            Watched::All => all(&store, &P::SCHEMA).await?,
        })
    }

    /// The rows `entry` changed, by key, as they are once the projection has applied it
    /// (`None` for a row gone); none for an event the projection does not consume.
    async fn touched(&mut self, entry: &LogEntry) -> Result<Vec<(Value, Option<Row>)>, QueryError> {
        let envelope = &entry.envelope;
        let event = match envelope.decode::<P::Event>() {
            Ok(Some(event)) => event,
            Ok(None) => return Ok(Vec::new()),
            Err(error) => {
                // The projection cannot apply it either; it changed no row.
                tracing::warn!(projection = P::NAME, event_id = %envelope.event_id, %error, "a watch passed an event that does not decode");
                return Ok(Vec::new());
            }
        };
        self.applied(entry).await?;
        let store = self.models.active::<P>().await?;
        Ok(match P::changed_rows(&event, envelope) {
            Rows::Key(key) => {
                let row = store.get(&P::SCHEMA, &key).await?;
                vec![(key, row)]
            }
            Rows::Where { column, value } => {
                let mut touched: Vec<(Value, Option<Row>)> =
                    holding(&store, &P::SCHEMA, column, &value)
                        .await?
                        .into_iter()
                        .map(|row| (key_of::<P>(&row), Some(row)))
                        .collect();
                // The rows sent holding the value that the event deleted or moved off it:
                // read again by key, so their `gone` is sent.
                for key in self.sent_holding(column, &value) {
                    if !touched.iter().any(|(found, _)| *found == key) {
                        let row = store.get(&P::SCHEMA, &key).await?;
                        touched.push((key, row));
                    }
                }
                touched
            }
        })
    }

    /// The keys of the rows last sent with `column` holding `value`.
    fn sent_holding(&self, column: &str, value: &Value) -> Vec<Value> {
        self.sent
            .values()
            .filter_map(|sent| match sent {
                Sent::Row(row) if row.get(column) == Some(value) => Some(key_of::<P>(row)),
                _ => None,
            })
            .collect()
    }

    /// The changes `touched` makes to what the client holds, as of `cursor`.
    fn commit(
        &mut self,
        cursor: Cursor,
        touched: Vec<(Value, Option<Row>)>,
    ) -> Result<Changes<P>, QueryError> {
        let mut changes = Changes {
            token: encode(cursor),
            rows: Vec::new(),
            gone: Vec::new(),
        };
        for (key, row) in touched {
            // A watch of one row hears of no other.
            if matches!(&self.watched, Watched::Key(watched) if *watched != key) {
                continue;
            }
            match row.filter(|row| self.finds(row)) {
                Some(row) => self.send(row, &mut changes)?,
                None => self.send_gone(key, &mut changes),
            }
        }
        Ok(changes)
    }

    /// Waits until the projection has applied `entry`, up to [`APPLY_WAIT`].
    async fn applied(&mut self, entry: &LogEntry) -> Result<(), QueryError> {
        if self.checkpoint >= entry.cursor {
            return Ok(());
        }
        let store = self.models.active::<P>().await?;
        self.checkpoint = store.checkpoint(P::NAME).await?;
        if self.checkpoint >= entry.cursor {
            return Ok(());
        }
        let envelope = &entry.envelope;
        let token = ConsistencyToken {
            aggregate_type: envelope.aggregate_type.clone(),
            aggregate_id: envelope.aggregate_id.clone(),
            version: envelope.sequence,
        };
        // Still behind after a while, the watch ends (503): the client resumes from its last
        // token, so no change of this event is lost.
        let waiting = (std::time::Instant::now(), APPLY_WAIT);
        consistency::caught_up::<P>(self.events.as_ref(), &store, &token, entry.cursor, waiting)
            .await
    }

    /// Whether the query finds `row`.
    fn finds(&self, row: &Row) -> bool {
        match &self.watched {
            Watched::Key(key) => row.get(P::SCHEMA.key) == Some(key),
            Watched::Found { index, equal } => entries(index, row).iter().any(|e| e == equal),
            Watched::All => true,
        }
    }

    fn send(&mut self, row: Row, changes: &mut Changes<P>) -> Result<(), QueryError> {
        let key = key_of::<P>(&row).to_string();
        if !matches!(self.sent.get(&key), Some(Sent::Row(last)) if *last == row) {
            self.sent.insert(key, Sent::Row(row.clone()));
            changes.rows.push(from_row::<P>(row)?);
        }
        Ok(())
    }

    fn send_gone(&mut self, key: Value, changes: &mut Changes<P>) {
        let text = key.to_string();
        let unknown = !self.sent.contains_key(&text);
        if (unknown && self.knows_all) || self.sent.get(&text) == Some(&Sent::Gone) {
            return;
        }
        self.sent.insert(text, Sent::Gone);
        changes.gone.push(key);
    }
}

/// The key of a row of `P`.
fn key_of<P: Projection>(row: &Row) -> Value {
    row.get(P::SCHEMA.key).cloned().unwrap_or(Value::Null)
}

/// Every row `index` finds holding `equal`, page by page.
async fn found(
    store: &dyn ReadStore,
    schema: &TableSchema<'_>,
    index: &Index<'_>,
    equal: &[Value],
) -> Result<Vec<Row>, QueryError> {
    let mut rows: Vec<Row> = Vec::new();
    loop {
        let after = rows
            .last()
            .and_then(|row| RowPosition::of(schema, index, row));
        let find = Find {
            after: after.as_ref(),
            ..Find::new(index, equal, ROWS)
        };
        let page = store.find(schema, find).await?;
        let full = page.len() == ROWS;
        rows.extend(page);
        if !full {
            return Ok(rows);
        }
    }
}

/// Every row, page by page.
async fn all(store: &dyn ReadStore, schema: &TableSchema<'_>) -> Result<Vec<Row>, QueryError> {
    let mut rows: Vec<Row> = Vec::new();
    loop {
        let after = rows.last().and_then(|row| row.get(schema.key)).cloned();
        let page = store.list_all(schema, after.as_ref(), ROWS).await?;
        let full = page.len() == ROWS;
        rows.extend(page);
        if !full {
            return Ok(rows);
        }
    }
}

/// Every row whose `column` holds `value`: through the index by it, else by reading them all.
async fn holding(
    store: &dyn ReadStore,
    schema: &TableSchema<'_>,
    column: &str,
    value: &Value,
) -> Result<Vec<Row>, QueryError> {
    match schema.indexes.iter().find(|index| index.is_by(column)) {
        Some(index) => found(store, schema, index, std::slice::from_ref(value)).await,
        None => {
            let mut rows = all(store, schema).await?;
            rows.retain(|row| row.get(column) == Some(value));
            Ok(rows)
        }
    }
}

fn encode(cursor: Cursor) -> String {
    opaque::encode(&json!([cursor.transaction, cursor.position]))
}

/// The cursor a token holds.
fn decode(text: &str) -> Result<Cursor, QueryError> {
    let invalid = || QueryError::InvalidParameter {
        field: "token",
        message: "not a token a watch of this service sent".to_owned(),
    };
    let Some(Value::Array(parts)) = opaque::decode(text) else {
        return Err(invalid());
    };
    match parts.as_slice() {
        [transaction, position] => Ok(Cursor {
            transaction: transaction.as_u64().ok_or_else(invalid)?,
            position: position.as_u64().ok_or_else(invalid)?,
        }),
        _ => Err(invalid()),
    }
}
