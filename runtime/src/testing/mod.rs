//! Given/when/then tests for command handlers: past events, a command, the expected outcome.
//!
//! ```text
//! given::<Account>([Opened { .. }.into()])
//!     .when(Deposit { .. })
//!     .then_expect_events([Deposited { .. }]);
//! ```
//!
//! The decision runs exactly as in [`Dispatcher::dispatch`](crate::Dispatcher::dispatch):
//! field validation, the existence rules of [`Command::CREATES`], then the aggregate's handler,
//! without a store.
//!
//! A [`Decision`](crate::Decision) over several aggregates starts from [`given_aggregates`]
//! instead: the past events of each aggregate, then the decision, then the events expected on
//! each aggregate, or the refusal.

mod decision;

pub use decision::{GivenAggregates, ThenDecided, given_aggregates};

use std::fmt::Debug;

use crate::aggregate::Aggregate;
use crate::command::{Command, Handle, Rejection};
use crate::dispatch::{DispatchError, decide};

/// An aggregate rebuilt from past events.
#[derive(Debug)]
pub struct Given<A: Aggregate> {
    state: A,
    version: u64,
}

/// Starts a scenario from the events the aggregate has already recorded (none for a new one).
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = A::Event>) -> Given<A> {
    let mut state = A::default();
    let mut version = 0;
    for event in events {
        state.apply_event(&event);
        version += 1;
    }
    Given { state, version }
}

impl<A: Aggregate> Given<A> {
    /// Decides `command` against the state.
    pub fn when<C>(&self, command: C) -> Then<A>
    where
        C: Command<Aggregate = A>,
        A: Handle<C>,
    {
        let outcome = command
            .validate()
            .map_err(DispatchError::Invalid)
            .and_then(|()| decide(&self.state, self.version, &command));
        Then { outcome }
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
    outcome: Result<Vec<A::Event>, DispatchError>,
}

impl<A: Aggregate> Then<A>
where
    A::Event: PartialEq + Debug,
{
    /// Asserts that the command recorded exactly these events.
    #[track_caller]
    pub fn then_expect_events<E: Into<A::Event>>(self, expected: impl IntoIterator<Item = E>) {
        let expected: Vec<A::Event> = expected.into_iter().map(Into::into).collect();
        match self.outcome {
            Ok(events) => assert_eq!(
                events, expected,
                "the command recorded other events than expected"
            ),
            Err(error) => panic!("expected events {expected:?}, but the command failed: {error}"),
        }
    }

    /// Asserts that the command failed, and returns why for further checks.
    #[track_caller]
    pub fn then_expect_error(self) -> DispatchError {
        match self.outcome {
            Ok(events) => panic!("expected the command to fail, but it recorded {events:?}"),
            Err(error) => error,
        }
    }

    /// Asserts that a guard refused the command with this message.
    #[track_caller]
    pub fn then_expect_refusal(self, message: &str) {
        match self.then_expect_error() {
            DispatchError::Rejected(Rejection::Guard(refusal)) => {
                assert_eq!(
                    refusal, message,
                    "the command was refused for another reason"
                )
            }
            other => panic!("expected a refusal \"{message}\", but got: {other}"),
        }
    }

    /// The raw outcome.
    pub fn outcome(self) -> Result<Vec<A::Event>, DispatchError> {
        self.outcome
    }
}
