//! Workflows: policies and process managers, each reaction resolved to the events, commands,
//! fields and timers it names.

use std::sync::Arc;

use super::event::{ChangeOp, Event};
use super::types::{Field, Literal, Type};

#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// As written, UpperCamelCase: the generated type's name.
    pub name: String,
    pub description: Option<String>,
    /// `None` for a policy; a process manager's state and correlation otherwise.
    pub process: Option<Process>,
    pub on: Vec<OnEvent>,
    pub timers: Vec<OnTimer>,
    pub refused: Vec<OnRefused>,
    /// Whether some event of the aggregates it receives is not one it reacts to.
    pub partial: bool,
}

impl Workflow {
    /// The aggregates whose events it receives, each once, in the order first met.
    pub fn aggregates(&self) -> Vec<&str> {
        let mut aggregates: Vec<&str> = Vec::new();
        for on in &self.on {
            if !aggregates.contains(&on.aggregate.as_str()) {
                aggregates.push(&on.aggregate);
            }
        }
        aggregates
    }

    /// Whether some reaction of it sends the command `name`.
    pub fn sends(&self, name: &str) -> bool {
        self.reactions()
            .any(|reaction| reaction.send.iter().any(|send| send.command == name))
    }

    /// Every reaction, to events, timers and refusals.
    pub fn reactions(&self) -> impl Iterator<Item = &Reaction> {
        self.on
            .iter()
            .map(|on| &on.reaction)
            .chain(self.timers.iter().map(|on| &on.reaction))
            .chain(self.refused.iter().map(|on| &on.reaction))
    }
}

/// What makes a workflow a process manager.
#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    pub state: Vec<Field>,
    /// The type of every event's correlation value: the process's id.
    pub correlation: Type,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OnEvent {
    pub aggregate: String,
    /// The id field of that aggregate.
    pub id: Field,
    pub event: Arc<Event>,
    /// Whether it starts a process (process managers).
    pub starts: bool,
    /// The event field holding the correlation; `None`: the event's aggregate id.
    pub correlate: Option<Field>,
    pub reaction: Reaction,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OnTimer {
    /// As written, snake_case.
    pub name: String,
    pub reaction: Reaction,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OnRefused {
    pub aggregate: String,
    pub command: String,
    pub reaction: Reaction,
}

/// What a reaction does, in this order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reaction {
    /// How an event changes the process's state.
    pub apply: Vec<ChangeOp>,
    pub send: Vec<Send>,
    pub schedule: Vec<Schedule>,
    pub cancel: Vec<String>,
    pub finish: bool,
}

/// A command to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Send {
    pub aggregate: String,
    pub command: String,
    /// The command's aggregate id field, and where its value comes from.
    pub to: Assign,
    /// Each command field, and where its value comes from: every field of the command.
    pub fields: Vec<Assign>,
}

/// A command field, and the value it is given.
#[derive(Debug, Clone, PartialEq)]
pub struct Assign {
    pub field: Field,
    pub value: Value,
    /// `Some(..)` around the value, for an optional field given a value that is not.
    pub wrap_some: bool,
}

/// Where a value a workflow uses comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A field of the event.
    Event(Field),
    /// The id of the event's aggregate, of this type.
    AggregateId(Type),
    /// The process's correlation value.
    Correlation,
    /// A field of the process's state.
    State(Field),
    /// A field of the refused command (its aggregate id among them).
    Command(Field),
    Const(Literal),
    /// `None`, for an optional command field the send leaves out.
    Nothing,
}

/// A timer to set.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub timer: String,
    pub when: When,
}

#[derive(Debug, Clone, PartialEq)]
pub enum When {
    /// So many seconds after the step.
    After(i64),
    /// At a timestamp or a date (its midnight, UTC).
    At(Value, Type),
}
