//! The validated model: every name resolved, every type known. Rendering reads only this.

use std::fmt;
use std::sync::Arc;

/// A service described by a model file, after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The service name as written (a valid Rust identifier in snake_case or kebab-case).
    pub service: String,
    pub description: Option<String>,
    pub stores: Stores,
    pub enums: Vec<Arc<EnumDef>>,
    pub values: Vec<Arc<ValueDef>>,
    pub aggregates: Vec<Aggregate>,
    pub facts: Vec<Arc<Fact>>,
    /// Shared with the queries that read them.
    pub projections: Vec<Arc<Projection>>,
    pub queries: Vec<Query>,
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

/// A field type.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    Bool,
    Int,
    Float,
    Decimal,
    Uuid,
    Timestamp,
    Date,
    /// An enum declared in the model: the same definition as in [`Model::enums`].
    Enum(Arc<EnumDef>),
    /// A value object declared in the model: the same definition as in [`Model::values`].
    Value(Arc<ValueDef>),
    List(Box<Type>),
    Optional(Box<Type>),
}

impl fmt::Display for Type {
    /// The type as the model file spells it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Decimal => f.write_str("decimal"),
            Type::Uuid => f.write_str("uuid"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Date => f.write_str("date"),
            Type::Enum(def) => f.write_str(&def.name),
            Type::Value(def) => f.write_str(&def.name),
            Type::List(inner) => write!(f, "list<{inner}>"),
            Type::Optional(inner) => write!(f, "optional<{inner}>"),
        }
    }
}

/// Field-level validation rules (commands and value objects).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub non_empty: bool,
    /// Inclusive numeric bounds (int, float, decimal).
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Inclusive length bounds, in characters for strings and elements for lists.
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// A regular expression a string must match (checked by garde, with the `regex` engine).
    pub pattern: Option<String>,
    /// The value examples use for a string (it passes every rule above).
    pub example: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    pub rules: Rules,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumDef {
    pub name: String,
    /// At least one.
    pub variants: Vec<String>,
}

/// A value object. It never contains itself, so its fields' types are finite trees.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueDef {
    pub name: String,
    pub fields: Vec<Field>,
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
pub struct Command {
    pub name: String,
    /// Starts a new aggregate.
    pub creates: bool,
    /// The command's own fields, without the aggregate id.
    pub fields: Vec<Field>,
    pub guards: Vec<Guard>,
    /// The events it records, in order, each an event of the same aggregate.
    pub emits: Vec<Emit>,
    /// Other aggregates it reads (and may record events on), decided and appended together
    /// with its own in one atomic step.
    pub depends_on: Vec<Dependency>,
    /// The facts it reads, with the guards on each.
    pub facts: Vec<FactRead>,
    /// The values the server makes for its events (`now`, `new_id`), each once per command,
    /// in the order the model writes them: the handler binds each before building events.
    pub served: Vec<ServedValue>,
}

/// A value the server makes once per command, feeding every event field of its name.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedValue {
    /// The event fields' name, and the handler's binding.
    pub name: String,
    /// `Now` or `NewId`.
    pub source: Source,
    /// The event fields' type, without `Option`.
    pub ty: Type,
}

/// A fact a command reads: the command's fields holding its tags, and what must hold of it.
#[derive(Debug, Clone, PartialEq)]
pub struct FactRead {
    /// Its name under `depends_on`, snake_case: the binding of its state in the decision.
    pub name: String,
    pub fact: Arc<Fact>,
    /// Each of the fact's tags, in the fact's order, with the command field it is read from.
    pub tags: Vec<(Field, Field)>,
    pub guards: Vec<Guard>,
}

/// A state folded from the events carrying the same values of its tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub name: String,
    /// The tag fields, each a field of every event it folds.
    pub tags: Vec<Field>,
    pub state: Vec<Field>,
    pub handlers: Vec<FactHandler>,
}

/// How one event changes a fact.
#[derive(Debug, Clone, PartialEq)]
pub struct FactHandler {
    pub event: Arc<Event>,
    /// The aggregate that records the event.
    pub aggregate: String,
    pub changes: Vec<ChangeOp>,
}

impl Fact {
    /// The aggregates whose events it folds, each once, in the order of its handlers.
    pub fn from(&self) -> Vec<&str> {
        let mut from: Vec<&str> = Vec::new();
        for handler in &self.handlers {
            if !from.contains(&handler.aggregate.as_str()) {
                from.push(&handler.aggregate);
            }
        }
        from
    }
}

impl Command {
    /// A command of these fields that checks, records and reads nothing: what the renderers'
    /// scenario search builds its steps from.
    pub fn synthetic(name: impl Into<String>, fields: Vec<Field>) -> Self {
        Command {
            name: name.into(),
            creates: false,
            fields,
            guards: Vec::new(),
            emits: Vec::new(),
            depends_on: Vec::new(),
            facts: Vec::new(),
            served: Vec::new(),
        }
    }

    /// Whether it reads other aggregates than its own: then it is a decision, not a command of
    /// one aggregate.
    pub fn is_decision(&self) -> bool {
        !self.depends_on.is_empty() || !self.facts.is_empty()
    }

    /// Every event it records, on its own aggregate and on those it depends on.
    pub fn all_emits(&self) -> impl Iterator<Item = &Emit> {
        self.emits
            .iter()
            .chain(self.depends_on.iter().flat_map(|d| &d.emits))
    }

    /// Whether a value of its events is made by the server (`now`, `new_id`), or a guard
    /// compares a time with now: then its handler reads the clock.
    pub fn reads_clock(&self) -> bool {
        let guards = self
            .guards
            .iter()
            .chain(self.depends_on.iter().flat_map(|d| &d.guards))
            .chain(self.facts.iter().flat_map(|f| &f.guards));
        !self.served.is_empty()
            || guards.into_iter().any(|guard| {
                matches!(
                    guard.condition,
                    Condition::AtLeast(Operand::Now(_)) | Condition::AtMost(Operand::Now(_))
                )
            })
    }
}

/// Another aggregate a command reads, by one of the command's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    /// Its name in the command (`member`), used for the variable holding its state.
    pub name: String,
    /// The aggregate's name.
    pub aggregate: String,
    /// The command's field holding its id, of the aggregate's id type.
    pub id: Field,
    /// Whether it must exist (else the command is refused as not found) or must not (else it
    /// is refused as already existing).
    pub exists: bool,
    /// Conditions on its state, checked after the command's own guards.
    pub guards: Vec<Guard>,
    /// The events recorded on it, after the command's own.
    pub emits: Vec<Emit>,
}

/// An event a command records, and where the command takes each of the event's fields from.
#[derive(Debug, Clone, PartialEq)]
pub struct Emit {
    pub event: Arc<Event>,
    /// One per field of the event, in the event's order.
    pub fields: Vec<FieldSource>,
}

/// A field of an emitted event and where its value comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSource {
    /// The event's field.
    pub field: Field,
    pub source: Source,
    /// Whether the value is wrapped in `Some`: the event's field is optional, the source not.
    pub wrap_some: bool,
}

/// Where a command takes the value of an event field from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The command's field of the same name and type (or the type the event field makes optional),
    /// or the one `values` names (`command.<field>`).
    CommandField(Field),
    /// The aggregate id, which every command carries.
    AggregateId,
    /// The time the command is decided, moved by `offset` (`now`, `now + 21d`): a timestamp, or
    /// today's date for a date field.
    Now(Offset),
    /// A new id (`new_id`), from the dispatcher's clock: a uuid, or its text for a string field.
    NewId,
}

/// How far from now a value is: `now + 21d` is 21 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    /// Signed: `now - 3d` is -3.
    pub amount: i64,
    pub unit: TimeUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Days,
    Hours,
    Minutes,
    Seconds,
}

impl Offset {
    pub const NONE: Offset = Offset {
        amount: 0,
        unit: TimeUnit::Days,
    };
}

impl FieldSource {
    /// The field the value is read from: the command's own, or `id`, the aggregate's id; `None`
    /// for a value the server makes.
    pub fn read_from<'a>(&'a self, id: &'a Field) -> Option<&'a Field> {
        match &self.source {
            Source::CommandField(field) => Some(field),
            Source::AggregateId => Some(id),
            Source::Now(_) | Source::NewId => None,
        }
    }
}

/// A condition on the aggregate's current state that a command requires.
#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    /// The state field it looks at.
    pub field: Field,
    pub condition: Condition,
    /// What the client is told when it fails.
    pub message: String,
    /// The stable reason clients match on, when the model names one (else `rejected`).
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Equals(Literal),
    NotEquals(Literal),
    OneOf(Vec<Literal>),
    /// A string or list that must not be empty.
    NotEmpty,
    /// A number that must be at least / at most the operand.
    AtLeast(Operand),
    AtMost(Operand),
}

/// A constant, already checked against the type of the field it is compared with or assigned to.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A decimal, kept as written.
    Decimal(String),
    String(String),
    Variant {
        enum_name: String,
        variant: String,
    },
}

/// A number: a constant or a field of the command (guards) or event (changes).
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Literal(Literal),
    Field(Field),
    /// The time the command is decided, moved by an offset, for a timestamp or date field.
    Now(Offset),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub version: u32,
    pub fields: Vec<Field>,
    /// The fields whose values tag it, in the order written.
    pub tags: Vec<Field>,
    /// How it changes the aggregate's state.
    pub apply: Vec<ChangeOp>,
}

/// One change an event makes to a state or a row. Type-checked by the validator.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeOp {
    /// `target = event.source` (wrapped in `Some` when the target is optional and the source not).
    /// Targets are fields of the state or row, sources fields of the event.
    Set {
        target: Field,
        source: Field,
        wrap_some: bool,
    },
    SetConst {
        target: Field,
        value: Literal,
    },
    /// `target = None`, for an optional target (`set: { target: null }`).
    Clear {
        target: Field,
    },
    Increment {
        target: Field,
        by: Operand,
    },
    Decrement {
        target: Field,
        by: Operand,
    },
    /// Push `event.source` onto the list `target`.
    Append {
        target: Field,
        source: Field,
    },
    /// Remove from the list `target` every element equal to `event.source`, or, for a list of
    /// value objects, every element whose field `by_field` equals it.
    Remove {
        target: Field,
        source: Field,
        by_field: Option<Field>,
    },
    /// Delete the row (projections only).
    Delete,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub name: String,
    /// The key field, one of `fields`; it is always filled from the row's key.
    pub key: Field,
    /// The aggregate whose events it consumes; `None` when it handles no event.
    pub aggregate: Option<String>,
    /// That aggregate's events it does not handle, in the aggregate's order.
    pub ignored: Vec<Arc<Event>>,
    pub fields: Vec<Field>,
    pub handlers: Vec<Handler>,
    /// Fields that list queries filter on.
    pub indexed: Vec<String>,
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
}

/// Where a handler takes the key of the row it changes from.
#[derive(Debug, Clone, PartialEq)]
pub enum RowKey {
    /// The id of the aggregate that recorded the event.
    AggregateId,
    /// A field of the event, of the key's type.
    EventField(Field),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// snake_case; the route is its kebab-case form.
    pub name: String,
    pub projection: Arc<Projection>,
    pub kind: QueryKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueryKind {
    /// One row by its key field.
    Get { field: Field },
    /// Rows whose field equals a value, ordered by key, paginated.
    List { field: Field },
}
