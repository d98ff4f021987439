//! What a command did, or why it did not.

use crate::command::ValidationErrors;
use crate::consistency::ConsistencyToken;
use crate::context::MissingServices;
use crate::event::{DecodeError, EventEnvelope};
use crate::rejection::{DomainRejection, Rejection};
use crate::store::{StoreError, StreamVersion};

/// What a successful command did.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    /// The aggregate's version (the sequence of its last event) after the command.
    pub version: u64,
    /// The global position of the command's last event. `None` when the command recorded no
    /// event.
    pub position: Option<u64>,
    pub events: Vec<EventEnvelope>,
}

impl Committed {
    /// What a reader passes to see this command's effect: the aggregate at this version. `None`
    /// for an aggregate that has no event yet, which leaves nothing to wait for.
    pub fn consistency_token(&self) -> Option<ConsistencyToken> {
        (self.version > 0).then(|| ConsistencyToken {
            aggregate_type: self.aggregate_type.to_owned(),
            aggregate_id: self.aggregate_id.clone(),
            version: self.version,
        })
    }
}

/// What a [`Decision`](crate::decision::Decision) did: its events, over every aggregate it
/// changed, in the order appended.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    /// Every aggregate the decision read, at the version it read it.
    pub read: Vec<StreamVersion>,
    pub events: Vec<EventEnvelope>,
}

impl Decided {
    /// The global position of the last event; `None` when the decision emitted none.
    pub fn position(&self) -> Option<u64> {
        self.events.last().map(|event| event.position)
    }

    /// An aggregate's version after the decision, if the decision changed it.
    pub fn version_of(&self, aggregate_type: &str, aggregate_id: &str) -> Option<u64> {
        self.events
            .iter()
            .rev()
            .find(|event| {
                event.aggregate_type == aggregate_type && event.aggregate_id == aggregate_id
            })
            .map(|event| event.sequence)
    }

    /// What the decision did to one aggregate, as a command's answer: its events here and
    /// its version after them (the version read, with no events and no position, when the
    /// decision left it alone).
    pub fn committed(&self, aggregate_type: &'static str, aggregate_id: &str) -> Committed {
        let unchanged_version = self
            .read
            .iter()
            .find(|read| read.aggregate_type == aggregate_type && read.aggregate_id == aggregate_id)
            .map_or(0, |read| read.version);
        let events: Vec<EventEnvelope> = self
            .events
            .iter()
            .filter(|event| {
                event.aggregate_type == aggregate_type && event.aggregate_id == aggregate_id
            })
            .cloned()
            .collect();
        Committed {
            aggregate_type,
            aggregate_id: aggregate_id.to_owned(),
            version: events
                .last()
                .map_or(unchanged_version, |event| event.sequence),
            position: events.last().map(|event| event.position),
            events,
        }
    }

    /// A token per aggregate changed, each at its version after the decision: a reader that
    /// waits for all of them sees the whole decision.
    pub fn consistency_tokens(&self) -> Vec<ConsistencyToken> {
        let mut tokens: Vec<ConsistencyToken> = Vec::new();
        for event in self.events.iter().rev() {
            let seen = tokens.iter().any(|token| {
                token.aggregate_type == event.aggregate_type
                    && token.aggregate_id == event.aggregate_id
            });
            if !seen {
                tokens.push(ConsistencyToken {
                    aggregate_type: event.aggregate_type.clone(),
                    aggregate_id: event.aggregate_id.clone(),
                    version: event.sequence,
                });
            }
        }
        tokens.reverse();
        tokens
    }
}

/// Why a command did not commit.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("invalid command: {0}")]
    Invalid(ValidationErrors),
    /// The domain refused: see the rejection's [`code`](Rejection::code), and
    /// [`domain`](Rejection::domain) for the aggregate's own rejection value.
    #[error(transparent)]
    Rejected(Rejection),
    #[error("{aggregate_type} {aggregate_id} does not exist")]
    NotFound {
        aggregate_type: &'static str,
        aggregate_id: String,
    },
    #[error("{aggregate_type} {aggregate_id} already exists")]
    AlreadyExists {
        aggregate_type: &'static str,
        aggregate_id: String,
    },
    #[error("{aggregate_type} {aggregate_id} was changed concurrently; retry the command")]
    Conflict {
        aggregate_type: &'static str,
        aggregate_id: String,
    },
    /// A value that must stay unique (see [`unique`](crate::unique)) is held by another
    /// aggregate: the second ISBN, the taken username.
    #[error("{scope} {value:?} is taken by {holder_type} {holder_id}")]
    Taken {
        /// Where the value must be unique: `Type.field`, perhaps narrowed (`Member.email/lib-7`).
        scope: String,
        value: String,
        holder_type: String,
        holder_id: String,
    },
    /// A command sent with an id that an earlier, different request took (a client's
    /// `Idempotency-Key` used again on another body or route): nothing is decided.
    #[error("the id {command_id} was used for another request; send this one with a new id")]
    IdReused { command_id: uuid::Uuid },
    /// A decision used an aggregate its [`reads`](crate::decision::Decision::reads) did not
    /// name: a mistake in the decision's code, not in the request.
    #[error(
        "the decision {decision} uses {aggregate_type} {aggregate_id}, which its reads do not name"
    )]
    Undeclared {
        decision: &'static str,
        aggregate_type: &'static str,
        aggregate_id: String,
    },
    /// A handler needs services the dispatcher was not given: a mistake in the service's
    /// startup, not in the request.
    #[error(transparent)]
    MissingServices(#[from] MissingServices),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("cannot encode event: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(transparent)]
    Store(StoreError),
}

/// Validation errors and rejections compare field by field; every other error is equal to one
/// of its kind that says the same (a store's or serde's error has no equality of its own).
impl PartialEq for DispatchError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Invalid(a), Self::Invalid(b)) => a == b,
            (Self::Rejected(a), Self::Rejected(b)) => a == b,
            (a, b) => {
                std::mem::discriminant(a) == std::mem::discriminant(b)
                    && a.to_string() == b.to_string()
            }
        }
    }
}

impl<R: DomainRejection> From<R> for DispatchError {
    fn from(rejection: R) -> Self {
        Self::Rejected(rejection.into_rejection())
    }
}

impl DispatchError {
    /// A store's failure as the command's: a taken value is the request's problem, anything
    /// else the store's.
    pub(crate) fn from_store(error: StoreError) -> Self {
        match error {
            StoreError::Taken {
                scope,
                value,
                holder_type,
                holder_id,
            } => Self::Taken {
                scope,
                value,
                holder_type,
                holder_id,
            },
            error => Self::Store(error),
        }
    }

    /// For [`Taken`](Self::Taken), the field whose value is taken: the scope's `field` in
    /// `Type.field` or `Type.field/within`.
    pub fn taken_field(&self) -> Option<&str> {
        let Self::Taken { scope, .. } = self else {
            return None;
        };
        let field = scope
            .split_once('.')
            .map_or(scope.as_str(), |(_, field)| field);
        Some(field.split_once('/').map_or(field, |(field, _)| field))
    }

    /// The same error again, for each of several commands that one failure answers.
    pub(super) fn duplicate(&self) -> Self {
        match self {
            Self::Invalid(errors) => Self::Invalid(errors.clone()),
            Self::Rejected(rejection) => Self::Rejected(rejection.clone()),
            Self::NotFound {
                aggregate_type,
                aggregate_id,
            } => Self::NotFound {
                aggregate_type,
                aggregate_id: aggregate_id.clone(),
            },
            Self::AlreadyExists {
                aggregate_type,
                aggregate_id,
            } => Self::AlreadyExists {
                aggregate_type,
                aggregate_id: aggregate_id.clone(),
            },
            Self::Conflict {
                aggregate_type,
                aggregate_id,
            } => Self::Conflict {
                aggregate_type,
                aggregate_id: aggregate_id.clone(),
            },
            Self::Taken {
                scope,
                value,
                holder_type,
                holder_id,
            } => Self::Taken {
                scope: scope.clone(),
                value: value.clone(),
                holder_type: holder_type.clone(),
                holder_id: holder_id.clone(),
            },
            Self::IdReused { command_id } => Self::IdReused {
                command_id: *command_id,
            },
            Self::Undeclared {
                decision,
                aggregate_type,
                aggregate_id,
            } => Self::Undeclared {
                decision,
                aggregate_type,
                aggregate_id: aggregate_id.clone(),
            },
            Self::MissingServices(missing) => Self::MissingServices(missing.clone()),
            Self::Decode(error) => Self::Decode(DecodeError::new(
                &error.event_type,
                error.event_version,
                &error.reason,
            )),
            Self::Encode(error) => Self::Encode(serde::ser::Error::custom(error)),
            Self::Store(error) => Self::Store(error.duplicate()),
        }
    }
}
