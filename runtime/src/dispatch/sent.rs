//! Commands sent with an id: answered from their record when sent again, and their refusals
//! recorded so that the same id is always answered the same way (see
//! [`SentCommand`](crate::store::SentCommand)).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Committed, DispatchError};
use crate::rejection::{Rejection, RejectionKind};
use crate::store::{EventStore, SentCommand, StoreError};

/// A refusal as the store keeps it: enough to answer the same way again.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "refused", rename_all = "snake_case")]
enum Refusal {
    Rejected {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        #[serde(default)]
        invalid: bool,
    },
    NotFound,
    AlreadyExists,
    Taken {
        scope: String,
        value: String,
        holder_type: String,
        holder_id: String,
    },
}

/// The record of `error`, when it is the domain's answer (a rejection, an aggregate that is
/// not there or is there already, a taken value) rather than a failure to answer.
pub(super) fn refusal(
    command_id: Uuid,
    aggregate_type: &str,
    aggregate_id: &str,
    error: &DispatchError,
) -> Option<SentCommand> {
    let refusal = match error {
        DispatchError::Rejected(rejection) => Refusal::Rejected {
            code: rejection.code().to_owned(),
            message: rejection.message().to_owned(),
            field: rejection.field().map(str::to_owned),
            invalid: rejection.kind() == RejectionKind::Invalid,
        },
        DispatchError::NotFound { .. } => Refusal::NotFound,
        DispatchError::AlreadyExists { .. } => Refusal::AlreadyExists,
        DispatchError::Taken {
            scope,
            value,
            holder_type,
            holder_id,
        } => Refusal::Taken {
            scope: scope.clone(),
            value: value.clone(),
            holder_type: holder_type.clone(),
            holder_id: holder_id.clone(),
        },
        _ => return None,
    };
    Some(SentCommand {
        command_id,
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        refusal: Some(serde_json::to_value(refusal).ok()?),
        version: None,
        position: None,
        request: None,
    })
}

/// The answer a command sent again gets: committed (nothing more to append: the version and
/// position it committed at, or for an older record the aggregate as it is, at `version`), or
/// the refusal it got the first time. Sent again in another request than the first (`request`,
/// its fingerprint), it is refused: the id was taken for something else.
pub(super) fn answer(
    sent: SentCommand,
    aggregate_type: &'static str,
    version: u64,
    request: Option<&str>,
) -> Result<Committed, DispatchError> {
    if request.is_some() && sent.request.as_deref() != request {
        return Err(DispatchError::IdReused {
            command_id: sent.command_id,
        });
    }
    let Some(refusal) = sent.refusal else {
        return Ok(Committed {
            aggregate_type,
            aggregate_id: sent.aggregate_id,
            version: sent.version.unwrap_or(version),
            position: sent.position,
            events: Vec::new(),
        });
    };
    let refusal: Refusal = serde_json::from_value(refusal).map_err(|error| {
        DispatchError::Store(crate::store::StoreError::Corrupt(format!(
            "the recorded refusal of command {}: {error}",
            sent.command_id
        )))
    })?;
    Err(match refusal {
        Refusal::Rejected {
            code,
            message,
            field,
            invalid,
        } => {
            let rejection = match (invalid, field) {
                (true, Some(field)) => Rejection::invalid(field, message).with_code(code),
                (false, Some(field)) => Rejection::refused(code, message).with_field(field),
                (_, None) => Rejection::refused(code, message),
            };
            DispatchError::Rejected(rejection)
        }
        Refusal::NotFound => DispatchError::NotFound {
            aggregate_type,
            aggregate_id: sent.aggregate_id,
        },
        Refusal::AlreadyExists => DispatchError::AlreadyExists {
            aggregate_type,
            aggregate_id: sent.aggregate_id,
        },
        Refusal::Taken {
            scope,
            value,
            holder_type,
            holder_id,
        } => DispatchError::Taken {
            scope,
            value,
            holder_type,
            holder_id,
        },
    })
}

/// Records `sent` (a refusal, or a command that changed nothing) unless its id is recorded
/// already, then answers with the record: another process may have recorded the id first.
/// When the record cannot be written, the answer is the store's error, so the command is
/// decided again when sent again.
pub(super) async fn record_and_answer(
    store: &dyn EventStore,
    sent: SentCommand,
    aggregate_type: &'static str,
    version: u64,
) -> Result<Committed, DispatchError> {
    let (command_id, request) = (sent.command_id, sent.request.clone());
    store
        .record_refusal(sent)
        .await
        .map_err(DispatchError::Store)?;
    match store.sent_command(command_id).await {
        Ok(Some(sent)) => answer(sent, aggregate_type, version, request.as_deref()),
        Ok(None) => Err(DispatchError::Store(StoreError::Corrupt(format!(
            "command {command_id} was recorded but is not there"
        )))),
        Err(error) => Err(DispatchError::Store(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn again(error: DispatchError) -> DispatchError {
        let id = Uuid::nil();
        let sent = refusal(id, "Book", "b-1", &error).expect("a refusal");
        answer(sent, "Book", 3, None).unwrap_err()
    }

    #[test]
    fn a_refusal_is_answered_again_as_it_was() {
        let rejected = Rejection::refused("on_loan", "the book is on loan").with_field("book");
        assert_eq!(
            again(DispatchError::Rejected(rejected.clone())),
            DispatchError::Rejected(rejected)
        );
        let invalid = Rejection::invalid("days", "at most 28").with_code("too_long");
        assert_eq!(
            again(DispatchError::Rejected(invalid.clone())),
            DispatchError::Rejected(invalid)
        );
        let missing = DispatchError::NotFound {
            aggregate_type: "Book",
            aggregate_id: "b-1".into(),
        };
        assert_eq!(again(missing.duplicate()), missing);
        let taken = DispatchError::Taken {
            scope: "Book.isbn".into(),
            value: "978".into(),
            holder_type: "Book".into(),
            holder_id: "b-2".into(),
        };
        assert_eq!(again(taken.duplicate()), taken);
    }

    #[test]
    fn a_failure_to_answer_is_not_recorded() {
        let failed = DispatchError::Store(crate::store::StoreError::Unavailable("down".into()));
        assert!(refusal(Uuid::nil(), "Book", "b-1", &failed).is_none());
    }
}
