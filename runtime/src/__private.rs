//! What derive-generated code needs and users do not. Not a stable API.

pub use ::core;
pub use ::garde;
pub use ::serde;
pub use ::serde_json;
pub use ::std;

use crate::aggregate::Apply;
use crate::event::EventEnvelope;
use crate::projection::{Change, Project};

/// Routes each kind of event in `Self` to `A`'s `Apply` impl for it.
///
/// `#[derive(Event)]` implements it with one `Apply<Kind>` bound per kind, so an aggregate that
/// forgets a kind fails to compile, naming the kind.
pub trait ApplyEach<A> {
    fn apply_each(&self, target: &mut A);
}

/// Routes each kind of event in `Self` to `P`'s `Project` impl for it (see [`ApplyEach`]).
pub trait ProjectEach<P> {
    fn key_each(&self, envelope: &EventEnvelope) -> serde_json::Value;
    fn project_each(&self, row: Option<P>, envelope: &EventEnvelope) -> Change<P>;
}

/// Keeps `Apply` and `Project` nameable from generated code without a user import.
pub fn apply<A: Apply<E>, E>(target: &mut A, event: &E) {
    target.apply(event);
}

pub fn project_key<P: Project<E>, E>(event: &E, envelope: &EventEnvelope) -> serde_json::Value {
    P::key(event, envelope)
}

pub fn project<P: Project<E>, E>(row: Option<P>, event: &E, envelope: &EventEnvelope) -> Change<P> {
    P::project(row, event, envelope)
}
