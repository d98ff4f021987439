//! Aggregates: the consistency boundary on the write side.

use std::fmt::Display;
use std::str::FromStr;

use crate::event::Event;

/// The state of one aggregate, rebuilt by applying its events in order.
///
/// Implemented by `#[derive(Aggregate)]`, which routes each event kind to an [`Apply`] impl.
pub trait Aggregate: Default + Send + Sync + 'static {
    /// The aggregate's stable type name, stored with each of its events.
    const TYPE: &'static str;
    /// The identifier type; its `Display` form is what the store keys by.
    type Id: Display + FromStr + Clone + Send + Sync + 'static;
    /// The events this aggregate records.
    type Event: Event;

    /// Moves the state forward by one event. Must not fail: events are facts.
    ///
    /// Named apart from [`Apply::apply`] so that both can be called on a concrete type.
    fn apply_event(&mut self, event: &Self::Event);
}

/// How one kind of event changes an aggregate's state.
pub trait Apply<E> {
    fn apply(&mut self, event: &E);
}
