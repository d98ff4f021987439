//! The validated model: every name resolved, every type known. Rendering reads only this.
//!
//! - `types`: field types, their rules, constants and times;
//! - `command`: commands, their guards and emitted events, what they read;
//! - `event`: events and the changes they make;
//! - `workflow`: policies and process managers.

mod command;
mod event;
mod types;
mod workflow;

use std::sync::Arc;

pub use command::{
    Command, Condition, Dependency, Emit, Fact, FactHandler, FactRead, FieldSource, Guard,
    ServedValue, Source,
};
pub use event::{ChangeOp, Event, Personal};
pub use types::{EnumDef, Field, Literal, Offset, Operand, Rules, TimeUnit, Type, ValueDef};
pub use workflow::{
    Assign, OnEvent, OnRefused, OnTimer, Process, Reaction, Schedule, Send, Value, When, Workflow,
};

/// A service described by a model file, after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The service name as written (a valid Rust identifier in snake_case or kebab-case).
    pub service: String,
    pub description: Option<String>,
    pub stores: Stores,
    /// Several tenants, each with stores of its own: the claim naming a caller's.
    pub tenancy: Option<Tenancy>,
    pub enums: Vec<Arc<EnumDef>>,
    pub values: Vec<Arc<ValueDef>>,
    pub aggregates: Vec<Aggregate>,
    pub facts: Vec<Arc<Fact>>,
    /// Shared with the queries that read them.
    pub projections: Vec<Arc<Projection>>,
    pub queries: Vec<Query>,
    pub workflows: Vec<Workflow>,
}

/// One deployment for several tenants: each tenant's events, rows, workflows and topics are
/// kept in stores of its own, and a request reaches its tenant's, as its token names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenancy {
    /// The token claim holding the caller's tenant.
    pub claim: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stores {
    pub write: WriteStore,
    pub read: ReadStore,
    pub broker: Broker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteStore {
    #[default]
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadStore {
    #[default]
    Sqlite,
    Postgres,
    Cassandra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Broker {
    #[default]
    Inproc,
    Kafka,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub name: String,
    /// The id field (its rules are empty); commands carry it, the API takes it from the path.
    pub id: Field,
    pub state: Vec<Field>,
    pub persistence: Persistence,
    pub commands: Vec<Command>,
    /// Shared with the commands that emit them and the projection handlers that consume them.
    pub events: Vec<Arc<Event>>,
    /// State fields whose value at most one aggregate of the type holds at a time.
    pub unique: Vec<Unique>,
}

/// A unique state field, perhaps only among aggregates whose `within` field is the same.
#[derive(Debug, Clone, PartialEq)]
pub struct Unique {
    pub field: Field,
    pub within: Option<Field>,
}

/// How the write side keeps an aggregate: rebuilt from its events, or as a state row written in
/// the same transaction as its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Persistence {
    #[default]
    EventSourced,
    StateStored,
}

impl Persistence {
    /// Each persistence as the model spells it.
    pub const NAMES: [(&'static str, Persistence); 2] = [
        ("event_sourced", Persistence::EventSourced),
        ("state_stored", Persistence::StateStored),
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub name: String,
    /// The key field, one of `fields`; it is always filled from the row's key.
    pub key: Field,
    /// The aggregates whose events it consumes, in the order its handlers first name them;
    /// none when it handles no event.
    pub aggregates: Vec<String>,
    /// Their events it does not handle, in the order of the aggregates and their events.
    pub ignored: Vec<Ignored>,
    pub fields: Vec<Field>,
    pub handlers: Vec<Handler>,
    /// What its lists and `where`s look rows up by.
    pub indexes: Vec<Index>,
    /// Its rows counted, and number fields summed, per value of a field.
    pub summaries: Vec<Summary>,
}

impl Projection {
    /// The projections its handlers copy from, each once, in the order first named.
    pub fn reads(&self) -> Vec<&str> {
        let mut reads: Vec<&str> = Vec::new();
        for copy in self.handlers.iter().flat_map(|h| &h.copies) {
            if !reads.contains(&copy.from.as_str()) {
                reads.push(&copy.from);
            }
        }
        reads
    }
}

/// A projection's rows counted, and number fields summed, per value of `by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub by: String,
    pub sums: Vec<String>,
}

/// A lookup of a projection's rows: by the values of `equal`, in the order of `order` then the
/// key. It becomes an index on SQL stores and a table on Cassandra.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub equal: Vec<String>,
    pub order: Option<String>,
}

impl QueryKind {
    /// The fields the path gives, in order.
    pub fn path_fields(&self) -> Vec<&Field> {
        match self {
            QueryKind::Get { field } | QueryKind::List { field } => vec![field],
            QueryKind::Find { equal, .. } => equal.iter().map(|term| &term.param).collect(),
            QueryKind::ListAll | QueryKind::Count { .. } => Vec::new(),
        }
    }

    /// Whether it answers with a page of rows rather than one.
    pub fn is_list(&self) -> bool {
        !matches!(self, QueryKind::Get { .. })
    }
}

impl Index {
    /// The lookup by one field, in key order.
    pub fn by(field: &str) -> Self {
        Index {
            equal: vec![field.to_owned()],
            order: None,
        }
    }
}

/// An event of an aggregate a projection consumes, which leaves its rows as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Ignored {
    /// The aggregate that records the event.
    pub aggregate: String,
    pub event: Arc<Event>,
}

/// How a projection reacts to one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    pub event: Arc<Event>,
    /// The aggregate that records the event.
    pub aggregate: String,
    /// Which row the event changes.
    pub key: RowKey,
    pub changes: Vec<ChangeOp>,
    /// Fields copied from rows of other projections, after `changes`.
    pub copies: Vec<Copy>,
}

/// Fields copied from the row of projection `from` under a key the event gives (a join done
/// at write time).
#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    pub from: String,
    /// Where the row's key comes from, of the type of `from`'s key.
    pub key: WhereValue,
    /// Whether `from`'s key is an `int` (the aggregate id then converts to a number).
    pub numeric_key: bool,
    /// The aggregate whose own events change the copied fields, by its id: how fresh the row
    /// must be is measured on it.
    pub aggregate: String,
    /// Each field of this row, and the field of `from`'s row it takes.
    pub set: Vec<CopiedField>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CopiedField {
    pub target: Field,
    pub source: Field,
    /// Whether the source is wrapped in `Some`: an optional target from a plain source.
    pub wrap_some: bool,
}

/// Which rows a handler changes: the row under a key it takes from the event, or every row
/// holding a value of the event.
#[derive(Debug, Clone, PartialEq)]
pub enum RowKey {
    /// The id of the aggregate that recorded the event.
    AggregateId,
    /// A field of the event, of the key's type.
    EventField(Field),
    /// Every row whose `column` holds the event's `value` (`where: { member_id: member_id }`).
    Where { column: Field, value: WhereValue },
}

/// A value of the event: what a `where` compares a row's field with, or the key of a row a
/// handler copies from.
#[derive(Debug, Clone, PartialEq)]
pub enum WhereValue {
    /// The id of the aggregate that recorded the event.
    AggregateId,
    /// A field of the event.
    EventField(Field),
}

/// What a list compares with a value the path gives: a field (`status`), a field of a value
/// object (`address.city`), or each element of a list (`authors[]`, written `list_by: authors`).
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// As the index names it: `status`, `address.city`, `authors[]`.
    pub text: String,
    /// The path parameter: named after the term (`address_city`, `authors`), of the type of the
    /// value compared (the element's, for a list).
    pub param: Field,
}

/// The order a list's rows come in: by a field, then by key.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub field: Field,
    pub descending: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// snake_case; the route is its kebab-case form.
    pub name: String,
    pub projection: Arc<Projection>,
    pub kind: QueryKind,
    /// The roles a caller needs one of to ask it (any authenticated caller when empty).
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueryKind {
    /// One row by its key field.
    Get { field: Field },
    /// Rows whose field equals a value, ordered by key, paginated.
    List { field: Field },
    /// Rows whose `equal` fields hold the path's values (every row when there are none), in
    /// the order of `order` and then the key, paginated; with `range`, `?from=&before=` narrow
    /// the order's field.
    Find {
        equal: Vec<Term>,
        order: Option<Order>,
        range: bool,
    },
    /// Every row, paginated: by key on the SQL stores, by the key's token on Cassandra.
    ListAll,
    /// The rows counted, and `sums` summed, per value of `by`: every group a page at a time,
    /// or the group of one value.
    Count { by: Field, sums: Vec<Field> },
}
