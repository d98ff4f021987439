//! Sending a step's commands: each under an id derived from the workflow, what caused the
//! step and the command's place in it, so that a step decided again after a crash sends the
//! same commands under the same ids, and none takes effect twice.

use uuid::Uuid;

use super::steps::{Issued, Refused, Steps};
use crate::dispatch::{DispatchError, Dispatcher};
use crate::event::Metadata;

/// Under which all workflows' command ids are derived (UUID v5).
const NAMESPACE: Uuid = Uuid::from_u128(0x4f0c_1d2e_8b7a_4e1f_9c3d_2a6b_5e8f_7d10);

/// An id derived from `workflow`, `cause` and `index`, the same every time: what a workflow's
/// commands are sent under (with the command itself in `cause`).
pub fn command_id(workflow: &str, cause: &str, index: usize) -> Uuid {
    Uuid::new_v5(
        &NAMESPACE,
        format!("{workflow}\n{cause}\n{index}").as_bytes(),
    )
}

/// The id a step sends `command` under: of the workflow, the cause, the command's place and
/// the command itself. Decided again on the same state, a step sends the same commands under
/// the same ids, which take effect once; decided again on a state another step of its process
/// left (it lost the race to commit), it may decide other commands, which get ids of their own
/// rather than the answers of the ones it sent before.
fn sent_id(workflow: &str, cause: &str, index: usize, command: &dyn Issued) -> Uuid {
    let (aggregate_type, aggregate_id) = command.aggregate();
    let what = format!(
        "{cause}\n{}\n{aggregate_type}\n{aggregate_id}\n{command:?}",
        command.name()
    );
    command_id(workflow, &what, index)
}

/// Why a step's commands could not all be answered.
#[derive(Debug, thiserror::Error)]
#[error("{command} to {aggregate_type} {aggregate_id} was not answered: {error}")]
pub(super) struct Unanswered {
    pub command: &'static str,
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    #[source]
    pub error: DispatchError,
}

/// Sends the step's commands in order; each refused one goes to `on_refused`, which may decide
/// more (sent after the others). Fails at the first command that got no answer: the step is
/// then decided and sent again, and what did commit is answered from its record.
pub(super) async fn send_all<T>(
    dispatcher: &Dispatcher,
    workflow: &'static str,
    cause: &str,
    metadata: &Metadata,
    steps: &mut Steps<T>,
    mut on_refused: impl FnMut(&Refused<'_>, &mut Steps<T>),
) -> Result<(), Unanswered> {
    let mut sent: Vec<Box<dyn Issued>> = Vec::new();
    while !steps.commands.is_empty() {
        let queue: Vec<Box<dyn Issued>> = std::mem::take(&mut steps.commands);
        for command in queue {
            let id = sent_id(workflow, cause, sent.len(), &*command);
            let answer = command.send(dispatcher, id, metadata.clone()).await;
            match answer {
                Ok(_) => {}
                Err(error) if is_refusal(&error) => {
                    on_refused(
                        &Refused {
                            command: &*command,
                            error: &error,
                        },
                        steps,
                    );
                }
                Err(error) => {
                    let (aggregate_type, aggregate_id) = command.aggregate();
                    return Err(Unanswered {
                        command: command.name(),
                        aggregate_type,
                        aggregate_id,
                        error,
                    });
                }
            }
            sent.push(command);
        }
    }
    steps.commands = sent;
    Ok(())
}

/// Whether `error` is the domain's answer, which sending again would repeat, rather than a
/// failure to answer.
fn is_refusal(error: &DispatchError) -> bool {
    matches!(
        error,
        DispatchError::Invalid(_)
            | DispatchError::Rejected(_)
            | DispatchError::NotFound { .. }
            | DispatchError::AlreadyExists { .. }
            | DispatchError::Taken { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::command_id;

    #[test]
    fn ids_differ_by_workflow_cause_and_place_and_never_by_run() {
        let id = command_id("fulfilment", "e-1", 0);
        assert_eq!(id, command_id("fulfilment", "e-1", 0));
        assert_ne!(id, command_id("fulfilment", "e-1", 1));
        assert_ne!(id, command_id("fulfilment", "e-2", 0));
        assert_ne!(id, command_id("billing", "e-1", 0));
    }
}
