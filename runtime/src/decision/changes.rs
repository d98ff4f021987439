//! The events a decision emits, each onto the aggregate it names.

use std::any::Any;

use crate::aggregate::Aggregate;

/// What a [`Decision`](super::Decision) emits: events, each onto one of the aggregates it read,
/// appended in the order emitted.
#[derive(Default)]
pub struct Changes {
    emitted: Vec<Emitted>,
}

/// One event, its type erased so that one decision can emit onto several aggregate types.
pub(crate) struct Emitted {
    pub(crate) aggregate_type: &'static str,
    pub(crate) aggregate_id: String,
    pub(crate) event: Box<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let emitted: Vec<_> = self
            .emitted
            .iter()
            .map(|emitted| (emitted.aggregate_type, &emitted.aggregate_id))
            .collect();
        f.debug_struct("Changes")
            .field("emitted", &emitted)
            .finish()
    }
}

impl Changes {
    /// Emits `event` onto the aggregate of type `A` with this id.
    pub fn emit<A: Aggregate>(&mut self, id: &A::Id, event: impl Into<A::Event>) -> &mut Self {
        self.emitted.push(Emitted {
            aggregate_type: A::TYPE,
            aggregate_id: id.to_string(),
            event: Box::new(event.into()),
        });
        self
    }

    /// The events emitted onto the aggregate of type `A` with this id, in order.
    pub fn events<'a, A: Aggregate>(
        &'a self,
        id: &A::Id,
    ) -> impl Iterator<Item = &'a A::Event> + use<'a, A> {
        let id = id.to_string();
        self.emitted
            .iter()
            .filter(move |emitted| emitted.aggregate_type == A::TYPE && emitted.aggregate_id == id)
            .filter_map(|emitted| emitted.event.downcast_ref::<A::Event>())
    }

    /// Whether nothing was emitted.
    pub fn is_empty(&self) -> bool {
        self.emitted.is_empty()
    }

    pub(crate) fn emitted(&self) -> &[Emitted] {
        &self.emitted
    }
}
