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

    /// How often a snapshot of the state should be taken: every `n` events, or never (`None`).
    ///
    /// A policy only: the store adapter that keeps snapshots reads it. Set it with
    /// `#[aggregate(snapshot_every = 100)]`.
    const SNAPSHOT_EVERY: Option<u64> = None;

    /// Moves the state forward by one event. Must not fail: events are facts.
    ///
    /// Named apart from [`Apply::apply`] so that both can be called on a concrete type.
    fn apply_event(&mut self, event: &Self::Event);
}

/// How one kind of event changes an aggregate's state.
///
/// `#[derive(Aggregate)]` requires one impl per kind of its event type, so a kind added to the
/// event enum later is a compile error until the aggregate decides what it does.
#[diagnostic::on_unimplemented(
    message = "aggregate `{Self}` does not apply `{E}` events",
    label = "`{E}` is a kind of this event type, and `{Self}` has no `impl Apply<{E}>`",
    note = "add `impl eventwright::Apply<{E}> for {Self} {{ fn apply(&mut self, event: &{E}) {{ .. }} }}`: events are facts, so every kind must change the state somehow, even if not at all"
)]
pub trait Apply<E> {
    fn apply(&mut self, event: &E);
}
