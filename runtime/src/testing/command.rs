//! Given/when/then for one aggregate's commands.

use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use pretty_assertions::assert_eq;

use super::refusal::{assert_code, assert_message, assert_rejection};
use crate::aggregate::Aggregate;
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::command::Command;
use crate::context::{ServiceMap, Surroundings};
use crate::dispatch::{DispatchError, decide};
use crate::event::Metadata;
use crate::rejection::Rejection;

/// An aggregate rebuilt from past events, with what its handlers are given.
#[derive(Debug)]
pub struct Given<A: Aggregate> {
    state: A,
    version: u64,
    services: ServiceMap,
    clock: Arc<dyn Clock>,
    metadata: Metadata,
}

/// Starts a scenario from the events the aggregate has already recorded (none for a new one).
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let mut state = A::default();
    let mut version = 0;
    for event in events {
        state.apply_event(&event);
        version += 1;
    }
    Given {
        state,
        version,
        services: ServiceMap::default(),
        clock: Arc::new(SystemClock),
        metadata: Metadata::default(),
    }
}

impl<A: Aggregate> Given<A> {
    /// What the aggregate's [`HandleWith`](crate::HandleWith) handlers are given: the real
    /// services, or a fake of the same type.
    pub fn with_services(mut self, services: A::Services) -> Self {
        self.services.insert(Arc::new(services));
        self
    }

    /// The clock handlers read (the system's unless set).
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Freezes the clock at `now`.
    pub fn at(self, now: DateTime<Utc>) -> Self {
        self.with_clock(ManualClock::at(now))
    }

    /// The metadata the command arrives with (its correlation id, ...).
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Decides `command` against the state. An async handler is run to completion here, on
    /// this thread; inside an async test whose handler awaits the runtime's own timers or
    /// sockets, use [`when_async`](Self::when_async).
    pub fn when<C: Command<Aggregate = A>>(self, command: C) -> Then<A> {
        futures_executor::block_on(self.when_async(command))
    }

    /// Decides `command` against the state, awaiting an async handler on the caller's runtime.
    pub async fn when_async<C: Command<Aggregate = A>>(self, command: C) -> Then<A> {
        let around = Surroundings::new(&self.services, &*self.clock, &self.metadata);
        let outcome = match command.validate() {
            Err(errors) => Err(DispatchError::Invalid(errors)),
            Ok(()) => match decide(&self.state, self.version, &command, around) {
                Ok(handled) => handled.await.map_err(DispatchError::from),
                Err(error) => Err(error),
            },
        };
        Then {
            state: self.state,
            outcome,
        }
    }

    /// The state the events built.
    pub fn state(&self) -> &A {
        &self.state
    }
}

/// The outcome of a command, to assert on. Each `then_` asserts; ignoring it tests nothing.
#[must_use = "a scenario asserts nothing until a `then_` method is called"]
#[derive(Debug)]
pub struct Then<A: Aggregate> {
    /// The state the command was decided on.
    state: A,
    outcome: Result<Vec<A::Event>, DispatchError>,
}

impl<A: Aggregate> Then<A>
where
    A::Event: PartialEq + Debug,
{
    /// Asserts that the command recorded exactly these events; returns the state they lead
    /// to, for assertions on it.
    #[track_caller]
    pub fn then_expect_events<E: Into<A::Event>>(self, expected: impl IntoIterator<Item = E>) -> A {
        let expected: Vec<A::Event> = expected.into_iter().map(Into::into).collect();
        match self.outcome {
            Ok(events) => {
                assert_eq!(
                    events, expected,
                    "the command recorded other events than expected"
                );
                let mut state = self.state;
                for event in &events {
                    state.apply_event(event);
                }
                state
            }
            Err(error) => panic!("expected events {expected:#?}\nbut the command failed: {error}"),
        }
    }

    /// Asserts that the command was accepted and recorded nothing.
    #[track_caller]
    pub fn then_expect_no_events(self) {
        let no_events: [A::Event; 0] = [];
        let _ = self.then_expect_events(no_events);
    }

    /// Asserts that the handler refused the command with exactly this rejection of the
    /// aggregate's [`Rejection`](Aggregate::Rejection) type.
    #[track_caller]
    pub fn then_expect_rejection(self, expected: A::Rejection)
    where
        A::Rejection: PartialEq,
    {
        assert_rejection(&self.then_expect_rejected(), &expected, "the command");
    }

    /// Asserts that the handler refused the command with this code.
    #[track_caller]
    pub fn then_expect_rejection_code(self, code: &str) -> Rejection {
        let rejection = self.then_expect_rejected();
        assert_code(&rejection, code, "the command");
        rejection
    }

    /// Asserts that the handler refused the command with this message.
    #[track_caller]
    pub fn then_expect_refusal(self, message: &str) {
        assert_message(&self.then_expect_rejected(), message, "the command");
    }

    /// Asserts that the command failed, and returns why for further checks.
    #[track_caller]
    pub fn then_expect_error(self) -> DispatchError {
        match self.outcome {
            Ok(events) => panic!("expected the command to fail, but it recorded {events:#?}"),
            Err(error) => error,
        }
    }

    /// The raw outcome.
    pub fn outcome(self) -> Result<Vec<A::Event>, DispatchError> {
        self.outcome
    }

    #[track_caller]
    fn then_expect_rejected(self) -> Rejection {
        match self.then_expect_error() {
            DispatchError::Rejected(rejection) => rejection,
            other => panic!("expected the handler to refuse the command, but got: {other}"),
        }
    }
}
