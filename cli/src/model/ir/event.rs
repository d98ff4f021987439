//! Events, and the changes they make to a state or a row.

use super::types::{Field, Literal, Operand};

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub version: u32,
    pub fields: Vec<Field>,
    /// The fields whose values tag it, in the order written.
    pub tags: Vec<Field>,
    /// How it changes the aggregate's state.
    pub apply: Vec<ChangeOp>,
    /// Its fields that are personal data, and whom about.
    pub personal: Option<Personal>,
}

/// Fields of an event that are personal data about one subject: sealed with the subject's key
/// as the event is stored, and read as `null` once the subject is forgotten.
#[derive(Debug, Clone, PartialEq)]
pub struct Personal {
    pub fields: Vec<String>,
    /// The aggregate the subject is: its name is the subject's kind.
    pub about: String,
    /// The event's field holding the subject's id; `None` when the subject is the event's own
    /// aggregate.
    pub id: Option<String>,
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

impl ChangeOp {
    /// The event field whose value it copies into its target: what a `set`, `append` or
    /// `remove` reads. (An increment's amount is a number, never kept as it is.)
    pub fn copied(&self) -> Option<&Field> {
        match self {
            ChangeOp::Set { source, .. }
            | ChangeOp::Append { source, .. }
            | ChangeOp::Remove { source, .. } => Some(source),
            _ => None,
        }
    }

    /// The field it changes; `None` for a deletion.
    pub fn target(&self) -> Option<&Field> {
        match self {
            ChangeOp::Set { target, .. }
            | ChangeOp::SetConst { target, .. }
            | ChangeOp::Clear { target }
            | ChangeOp::Increment { target, .. }
            | ChangeOp::Decrement { target, .. }
            | ChangeOp::Append { target, .. }
            | ChangeOp::Remove { target, .. } => Some(target),
            ChangeOp::Delete => None,
        }
    }
}
