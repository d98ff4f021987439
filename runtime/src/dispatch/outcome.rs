//! What a command did, or why it did not.

use crate::command::{Rejection, ValidationErrors};
use crate::consistency::ConsistencyToken;
use crate::event::{DecodeError, EventEnvelope};
use crate::store::StoreError;

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

/// Why a command did not commit.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("invalid command: {0}")]
    Invalid(ValidationErrors),
    #[error(transparent)]
    Rejected(#[from] Rejection),
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
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("cannot encode event: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(transparent)]
    Store(StoreError),
}

impl DispatchError {
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
