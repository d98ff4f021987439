//! The decision, and its events made ready to store.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::DispatchError;
use crate::aggregate::Aggregate;
use crate::command::{Command, Handled};
use crate::context::Surroundings;
use crate::event::{Event, Metadata, NewEvent};

/// Starts deciding `command` on `state` at `version`: existence rules, then the aggregate's
/// handler, whose answer is awaited. Shared with the given/when/then harness so tests see
/// exactly what the dispatcher does.
pub(crate) fn decide<'a, C: Command>(
    state: &'a C::Aggregate,
    version: u64,
    command: &'a C,
    around: Surroundings<'a>,
) -> Result<Handled<'a, C::Aggregate>, DispatchError> {
    let aggregate_type = C::Aggregate::TYPE;
    let aggregate_id = || command.aggregate_id().to_string();
    if C::CREATES && version > 0 {
        return Err(DispatchError::AlreadyExists {
            aggregate_type,
            aggregate_id: aggregate_id(),
        });
    }
    if !C::CREATES && version == 0 {
        return Err(DispatchError::NotFound {
            aggregate_type,
            aggregate_id: aggregate_id(),
        });
    }
    Ok(command.handle_on(state, around)?)
}

/// A command waiting to be decided, its type erased so one mailbox holds every command of an
/// aggregate; decided again on fresh state after a conflict.
pub(crate) trait Queued<A: Aggregate>: Send + Sync {
    fn decide<'a>(
        &'a self,
        state: &'a A,
        version: u64,
        around: Surroundings<'a>,
    ) -> Result<Handled<'a, A>, DispatchError>;
}

impl<C: Command> Queued<C::Aggregate> for C {
    fn decide<'a>(
        &'a self,
        state: &'a C::Aggregate,
        version: u64,
        around: Surroundings<'a>,
    ) -> Result<Handled<'a, C::Aggregate>, DispatchError> {
        decide(state, version, self, around)
    }
}

/// The events of one command, ready to append after `version`, stamped `timestamp`.
pub(super) fn encode<A: Aggregate>(
    aggregate_id: &str,
    version: u64,
    events: &[A::Event],
    metadata: &Metadata,
    timestamp: DateTime<Utc>,
) -> Result<Vec<NewEvent>, serde_json::Error> {
    (1..)
        .zip(events)
        .map(|(offset, event)| {
            Ok(NewEvent {
                event_id: Uuid::now_v7(),
                aggregate_type: A::TYPE.to_owned(),
                aggregate_id: aggregate_id.to_owned(),
                sequence: version + offset,
                event_type: event.event_type().to_owned(),
                event_version: event.event_version(),
                timestamp,
                metadata: metadata.clone(),
                payload: event.encode()?,
                tags: crate::event::tags_of(event),
            })
        })
        .collect()
}
