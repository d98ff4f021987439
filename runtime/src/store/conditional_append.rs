//! What a decision over several aggregates commits: events for any of them, appended together
//! only while everything the decision read still stands.
//!
//! A command on one aggregate needs no more than [`EventStore::append`]: its sequences continue
//! the one stream it read, so a writer that got there first takes a sequence and the append
//! fails. A decision that reads several aggregates (a loan reads the book and the member; a
//! transfer both accounts) may append to only some of them, so the store must also check that
//! the others have not moved. [`ConditionalAppend`] names every stream the decision read and the
//! version it read it at, and what it claims or releases among values that must stay unique.
//!
//! [`EventStore::append`]: super::EventStore::append

use serde_json::Value;

use super::SentCommand;
use crate::event::NewEvent;
use crate::tag::EventQuery;

/// Events for any number of aggregates, committed in one transaction only if every stream in
/// [`read`](Self::read) is still at the version the decision saw and every claimed value is
/// free (or already held by its claimant); otherwise nothing is written. See
/// [`EventStore::append_if`](super::EventStore::append_if).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConditionalAppend {
    /// Every stream the decision read, at the version it read it at; a stream the decision
    /// appends to belongs here too.
    pub read: Vec<StreamVersion>,
    /// Every event query the decision read, with how many events matched it: appended only
    /// if none matching was added since.
    pub queries: Vec<QueryRead>,
    /// The events, each continuing its own aggregate's sequence, in the order to append them.
    pub events: Vec<NewEvent>,
    /// The new state rows of the state-stored aggregates among those appended to.
    pub states: Vec<NewState>,
    /// Values given up, before any claim: a withdrawn book frees its ISBN.
    pub releases: Vec<UniqueValue>,
    /// Values taken: a registered book holds its ISBN.
    pub claims: Vec<UniqueValue>,
    /// The commands with an id whose events these are: recorded as committed, so the same
    /// id is never committed twice.
    pub commands: Vec<SentCommand>,
}

/// One aggregate's stream as a decision read it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamVersion {
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// The sequence of the last event read; 0 for an aggregate that did not exist.
    pub version: u64,
}

/// An event query as a decision read it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueryRead {
    pub query: EventQuery,
    /// How many events matched it. The log only grows, so the same count later means the
    /// same events: nothing matching was added.
    pub matched: u64,
}

/// A state-stored aggregate's state after the events appended to it: the row moves from the
/// version its [`StreamVersion`] names to the sequence of its last event.
#[derive(Debug, Clone, PartialEq)]
pub struct NewState {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub state: Value,
}

/// A value that at most one aggregate holds within its scope, e.g. scope `Book.isbn`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UniqueValue {
    pub scope: String,
    pub value: String,
    /// The aggregate that holds, or gives up, the value.
    pub aggregate_type: String,
    pub aggregate_id: String,
}

// What the SQL stores ask of an append; a build without them asks none of it.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
impl ConditionalAppend {
    /// Whether a query was read or an event appended carries tags: then the append takes a
    /// turn on each tag as well as on each stream.
    pub(crate) fn is_tagged(&self) -> bool {
        !self.queries.is_empty() || self.events.iter().any(|event| !event.tags.is_empty())
    }

    /// The tags to take turns on, each once, in order: every tag of a query read or of an
    /// event appended, so that a decision checking a query never misses another's event
    /// committing meanwhile.
    pub(crate) fn tags(&self) -> Vec<&str> {
        let mut tags: Vec<&str> = self
            .queries
            .iter()
            .flat_map(|read| read.query.tags())
            .chain(self.events.iter().flat_map(|event| &event.tags))
            .map(crate::tag::Tag::as_str)
            .collect();
        tags.sort_unstable();
        tags.dedup();
        tags
    }

    /// The streams to take turns on, each once, in one order: every stream read or appended to.
    pub(crate) fn streams(&self) -> Vec<(&str, &str)> {
        let mut streams: Vec<(&str, &str)> = self
            .read
            .iter()
            .map(|read| (read.aggregate_type.as_str(), read.aggregate_id.as_str()))
            .chain(
                self.events
                    .iter()
                    .map(|event| (event.aggregate_type.as_str(), event.aggregate_id.as_str())),
            )
            .collect();
        streams.sort_unstable();
        streams.dedup();
        streams
    }

    /// The version each state-stored aggregate's row moves to: its last event's sequence.
    pub(crate) fn new_version(&self, state: &NewState) -> Option<u64> {
        self.events
            .iter()
            .rev()
            .find(|event| {
                event.aggregate_type == state.aggregate_type
                    && event.aggregate_id == state.aggregate_id
            })
            .map(|event| event.sequence)
    }

    /// The version the decision read an aggregate at; 0 when it did not read it.
    pub(crate) fn read_version(&self, aggregate_type: &str, aggregate_id: &str) -> u64 {
        self.read
            .iter()
            .find(|read| read.aggregate_type == aggregate_type && read.aggregate_id == aggregate_id)
            .map_or(0, |read| read.version)
    }
}
