//! Given/then for projections: events in, rows out, with no read store.

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::{DateTime, Utc};
use pretty_assertions::assert_eq;
use serde::Serialize;
use serde_json::Value;

use crate::clock::{Clock, SystemClock};
use crate::event::{Event, EventEnvelope, Metadata};
use crate::projection::{Change, Joined, Projection, Rows};
use crate::store::Row;

/// Starts a projection scenario with no rows.
///
/// ```
/// use eventwright::testing::given_projection;
/// use eventwright::{Change, Event, EventEnvelope, Project, Projection};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Serialize, Deserialize)]
/// pub struct Registered { pub title: String }
/// #[derive(Debug, Serialize, Deserialize)]
/// pub struct Lent {}
/// #[derive(Debug, Event)]
/// pub enum BookEvent { Registered(Registered), Lent(Lent) }
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize, Projection)]
/// #[projection(event = BookEvent, key = book_id)]
/// pub struct Shelf {
///     pub book_id: String,
///     pub title: String,
///     pub lent: u32,
/// }
///
/// impl Project<Registered> for Shelf {
///     fn project(_: Option<Self>, event: &Registered, envelope: &EventEnvelope) -> Change<Self> {
///         let book_id = envelope.aggregate_id.clone();
///         Change::Upsert(Shelf { book_id, title: event.title.clone(), lent: 0 })
///     }
/// }
///
/// impl Project<Lent> for Shelf {
///     fn project(row: Option<Self>, _: &Lent, _: &EventEnvelope) -> Change<Self> {
///         match row {
///             Some(row) => Change::Upsert(Shelf { lent: row.lent + 1, ..row }),
///             None => Change::Keep,
///         }
///     }
/// }
///
/// let shelf = |id: &str, title: &str, lent| Shelf { book_id: id.into(), title: title.into(), lent };
/// given_projection::<Shelf>()
///     .event("b-1", Registered { title: "Dune".into() })
///     .event("b-1", Lent {})
///     .event("b-2", Registered { title: "Emma".into() })
///     .event("b-3", Lent {})
///     .then_expect_row("b-1", shelf("b-1", "Dune", 1))
///     .then_expect_no_row("b-3")
///     .then_expect_rows_where("lent", 0, [shelf("b-2", "Emma", 0)]);
/// ```
pub fn given_projection<P: Projection>() -> GivenProjection<P> {
    GivenProjection {
        rows: BTreeMap::new(),
        joinable: BTreeMap::new(),
        sequences: BTreeMap::new(),
        position: 0,
        now: None,
    }
}

/// A projection's rows, as the events given so far leave them.
#[derive(Debug)]
pub struct GivenProjection<P: Projection> {
    /// By each key's JSON text, so keys of any type order and compare alike.
    rows: BTreeMap<String, P>,
    /// Rows of the projections it reads, by projection name and key's JSON text.
    joinable: BTreeMap<(&'static str, String), Row>,
    sequences: BTreeMap<String, u64>,
    position: u64,
    now: Option<DateTime<Utc>>,
}

impl<P: Projection> GivenProjection<P> {
    /// Stamps the events given from now on with `now` (else the system's time).
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// A row of projection `Q`, which the events given from now on may join
    /// ([`Project::joins`](crate::Project::joins)), as if `Q` had caught up with them.
    #[track_caller]
    pub fn joinable<Q: Projection>(mut self, row: Q) -> Self {
        let Value::Object(row) = to_value(&row) else {
            panic!("a row of {} must serialize to an object", Q::NAME);
        };
        let key = row
            .get(Q::SCHEMA.key)
            .unwrap_or_else(|| panic!("a row of {} has no key `{}`", Q::NAME, Q::SCHEMA.key));
        self.joinable.insert((Q::NAME, key_text(key)), row);
        self
    }

    /// The aggregate `aggregate_id` recorded `event` (its next sequence, the log's next
    /// position), and the projection handled it as the engine would.
    #[track_caller]
    pub fn event(mut self, aggregate_id: impl ToString, event: impl Into<P::Event>) -> Self {
        let event = event.into();
        let aggregate_id = aggregate_id.to_string();
        let sequence = self.sequences.entry(aggregate_id.clone()).or_default();
        *sequence += 1;
        self.position += 1;
        let envelope = EventEnvelope {
            event_id: uuid::Uuid::now_v7(),
            aggregate_type: String::new(),
            aggregate_id,
            sequence: *sequence,
            position: self.position,
            event_type: event.event_type().to_owned(),
            event_version: event.event_version(),
            timestamp: self.now.unwrap_or_else(|| SystemClock.now()),
            metadata: Metadata::default(),
            payload: event
                .encode()
                .unwrap_or_else(|error| panic!("a given event cannot be encoded: {error}")),
        };
        match P::changed_rows(&event, &envelope) {
            Rows::Key(key) => {
                let key = key_text(&key);
                let row = self.rows.remove(&key);
                self.project(key, row, &event, &envelope);
            }
            Rows::Where { column, value } => {
                let keys: Vec<String> = self
                    .rows
                    .iter()
                    .filter(|(_, row)| to_value(row).get(column) == Some(&value))
                    .map(|(key, _)| key.clone())
                    .collect();
                for key in keys {
                    let row = self.rows.remove(&key);
                    self.project(key, row, &event, &envelope);
                }
            }
        }
        self
    }

    /// What `event` does to the row under `key`, as the store would write it.
    #[track_caller]
    fn project(&mut self, key: String, row: Option<P>, event: &P::Event, envelope: &EventEnvelope) {
        // `Keep` leaves the row as it was; the projection took it, so it is put back from
        // its JSON, as a read store would read it again.
        let before = row.as_ref().map(to_value);
        let joined = self.joined(event, envelope);
        match P::project_event(row, event, envelope, &joined) {
            Change::Upsert(row) => {
                self.rows.insert(key, row);
            }
            Change::Keep => {
                if let Some(before) = before {
                    let row = serde_json::from_value(before)
                        .unwrap_or_else(|error| panic!("a row does not read back: {error}"));
                    self.rows.insert(key, row);
                }
            }
            Change::Delete => {}
        }
    }

    /// The rows `event` joins, among those given [`joinable`](Self::joinable).
    #[track_caller]
    fn joined(&self, event: &P::Event, envelope: &EventEnvelope) -> Joined {
        let mut joined = Joined::none();
        for join in P::joins(event, envelope) {
            assert!(
                P::READS.contains(&join.projection()),
                "{}",
                crate::engine::ProjectionError::UndeclaredJoin {
                    projection: P::NAME,
                    joined: join.projection(),
                }
            );
            let found = self
                .joinable
                .get(&(join.projection(), key_text(join.key())));
            if let Some(row) = found {
                joined.insert(&join, row.clone()).unwrap_or_else(|error| {
                    panic!("a row of {} does not read back: {error}", join.projection())
                });
            }
        }
        joined
    }

    /// Each of `events`, in order, recorded by `aggregate_id`.
    #[track_caller]
    pub fn events<E: Into<P::Event>>(
        self,
        aggregate_id: impl ToString,
        events: impl IntoIterator<Item = E>,
    ) -> Self {
        let aggregate_id = aggregate_id.to_string();
        events
            .into_iter()
            .fold(self, |given, event| given.event(&aggregate_id, event))
    }

    /// The row under `key`, if there is one.
    pub fn row(&self, key: impl Serialize) -> Option<&P> {
        self.rows.get(&key_text(&to_value(key)))
    }

    /// Every row, in key order.
    pub fn rows(&self) -> impl Iterator<Item = &P> {
        self.rows.values()
    }
}

impl<P: Projection + PartialEq + Debug> GivenProjection<P> {
    /// Asserts that the row under `key` is `expected`.
    #[track_caller]
    pub fn then_expect_row(self, key: impl Serialize, expected: P) -> Self {
        let key = to_value(key);
        match self.rows.get(&key_text(&key)) {
            Some(row) => assert_eq!(row, &expected, "the row under {key} differs"),
            None => panic!("expected the row {expected:#?}\nunder {key}, but there is none"),
        }
        self
    }

    /// Asserts that there is no row under `key`.
    #[track_caller]
    pub fn then_expect_no_row(self, key: impl Serialize) -> Self {
        let key = to_value(key);
        if let Some(row) = self.rows.get(&key_text(&key)) {
            panic!("expected no row under {key}, but found {row:#?}");
        }
        self
    }

    /// Asserts that the rows whose `field` equals `value` (what a query by that field
    /// answers) are exactly `expected`, in key order.
    #[track_caller]
    pub fn then_expect_rows_where(
        self,
        field: &str,
        value: impl Serialize,
        expected: impl IntoIterator<Item = P>,
    ) -> Self {
        let value = to_value(value);
        let matching: Vec<&P> = self
            .rows
            .values()
            .filter(|row| to_value(row).get(field) == Some(&value))
            .collect();
        let expected: Vec<P> = expected.into_iter().collect();
        let expected: Vec<&P> = expected.iter().collect();
        assert_eq!(
            matching, expected,
            "the rows where {field} = {value} differ"
        );
        self
    }
}

fn to_value(value: impl Serialize) -> Value {
    serde_json::to_value(value)
        .unwrap_or_else(|error| panic!("a key or row cannot be serialized: {error}"))
}

fn key_text(key: &Value) -> String {
    key.to_string()
}
