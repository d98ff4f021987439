//! Commands: their guards, the events they record and where each field of those comes from,
//! the other aggregates and facts they read.

use std::sync::Arc;

use super::event::{ChangeOp, Event};
use super::types::{Field, Literal, Offset, Operand, Type};

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
    /// The roles a caller needs one of to send it (any authenticated caller when empty).
    pub roles: Vec<String>,
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
            roles: Vec::new(),
        }
    }

    /// Whether an event field of it comes from its aggregate's state (`state.<field>`).
    pub fn reads_own_state(&self) -> bool {
        self.all_emits()
            .flat_map(|emit| &emit.fields)
            .any(|fed| matches!(fed.source, Source::State(_)))
    }

    /// Whether an event field of it comes from the state of the dependency named `name`.
    pub fn consults(&self, name: &str) -> bool {
        self.all_emits()
            .flat_map(|emit| &emit.fields)
            .any(|fed| matches!(&fed.source, Source::Consulted { from, .. } if from == name))
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

/// How one event changes a fact.
#[derive(Debug, Clone, PartialEq)]
pub struct FactHandler {
    pub event: Arc<Event>,
    /// The aggregate that records the event.
    pub aggregate: String,
    pub changes: Vec<ChangeOp>,
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

impl FieldSource {
    /// The field the value is read from: the command's own, or `id`, the aggregate's id; `None`
    /// for a value the server makes.
    pub fn read_from<'a>(&'a self, id: &'a Field) -> Option<&'a Field> {
        match &self.source {
            Source::CommandField(field) => Some(field),
            Source::AggregateId => Some(id),
            Source::Now(_) | Source::NewId | Source::State(_) | Source::Consulted { .. } => None,
        }
    }
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
    /// A field of the aggregate's state before the command (`state.<field>`).
    State(Field),
    /// A field of the state of another aggregate the command reads under `depends_on`
    /// (`member.name`): `from` is the dependency's name, the binding of its state.
    Consulted { from: String, field: Field },
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
