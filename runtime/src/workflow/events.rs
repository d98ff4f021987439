//! The events a workflow receives: one event type, or several with [`Either`].

use crate::event::{DecodeError, Event, EventEnvelope};

/// What a workflow receives, decoded from a stored event; `Ok(None)` for one it does not.
pub trait Events: Sized + Send + Sync + 'static {
    fn from_envelope(envelope: &EventEnvelope) -> Result<Option<Self>, DecodeError>;
}

impl<E: Event> Events for E {
    fn from_envelope(envelope: &EventEnvelope) -> Result<Option<Self>, DecodeError> {
        envelope.decode()
    }
}

/// The events of two event types (nest it for more: `Either<A, Either<B, C>>`). A stored
/// event is decoded by the first whose names include its name, so the two must not share one.
#[derive(Debug, Clone, PartialEq)]
pub enum Either<A, B> {
    Left(A),
    Right(B),
}

impl<A: Events, B: Events> Events for Either<A, B> {
    fn from_envelope(envelope: &EventEnvelope) -> Result<Option<Self>, DecodeError> {
        if let Some(left) = A::from_envelope(envelope)? {
            return Ok(Some(Self::Left(left)));
        }
        Ok(B::from_envelope(envelope)?.map(Self::Right))
    }
}
