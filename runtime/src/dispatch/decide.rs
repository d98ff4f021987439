//! The pure decision, and its events made ready to store.

use chrono::Utc;
use uuid::Uuid;

use super::DispatchError;
use crate::aggregate::Aggregate;
use crate::command::{Command, Handle};
use crate::event::{Event, Metadata, NewEvent};

/// The pure decision: existence rules, then the aggregate's handler. Shared with the
/// given/when/then harness so tests see exactly what the dispatcher does.
pub(crate) fn decide<C>(
    state: &C::Aggregate,
    version: u64,
    command: &C,
) -> Result<Vec<<C::Aggregate as Aggregate>::Event>, DispatchError>
where
    C: Command,
    C::Aggregate: Handle<C>,
{
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
    Ok(state.handle(command)?)
}

pub(super) fn encode<A: Aggregate>(
    aggregate_id: &str,
    version: u64,
    events: &[A::Event],
    metadata: &Metadata,
) -> Result<Vec<NewEvent>, serde_json::Error> {
    let timestamp = Utc::now();
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
