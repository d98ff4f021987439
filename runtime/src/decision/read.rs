//! The states a decision decides on, each at the version it was read.

use std::any::Any;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use serde_json::Value;

use super::{Fact, FactRead};
use crate::aggregate::{Aggregate, Persistence};
use crate::clock::Clock;
use crate::context::ServiceMap;
use crate::dispatch::DispatchError;
use crate::store::{QueryRead, StreamVersion};
use crate::tag::Tag;
use crate::unique::UniqueValues;

/// Every aggregate a [`Decision`](super::Decision) named in its
/// [`reads`](super::Decision::reads), as it was read.
pub struct Read {
    decision: &'static str,
    loaded: Vec<Loaded>,
    facts: Vec<FactRead>,
    now: DateTime<Utc>,
    clock: Arc<dyn Clock>,
    services: Arc<ServiceMap>,
}

impl std::fmt::Debug for Read {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let streams: Vec<_> = self
            .loaded
            .iter()
            .map(|loaded| (loaded.aggregate_type, &loaded.aggregate_id, loaded.version))
            .collect();
        let facts: Vec<_> = self
            .facts
            .iter()
            .map(|fact| (fact.name, &fact.read))
            .collect();
        f.debug_struct("Read")
            .field("decision", &self.decision)
            .field("streams", &streams)
            .field("facts", &facts)
            .finish()
    }
}

impl Read {
    pub(crate) fn new(
        decision: &'static str,
        loaded: Vec<Loaded>,
        facts: Vec<FactRead>,
        clock: Arc<dyn Clock>,
        services: Arc<ServiceMap>,
    ) -> Self {
        Self {
            decision,
            loaded,
            facts,
            now: clock.now(),
            clock,
            services,
        }
    }

    /// The time the decision is made, by the dispatcher's clock: the timestamp its events get.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Today's date in UTC, by the dispatcher's clock.
    pub fn today(&self) -> NaiveDate {
        self.now.date_naive()
    }

    /// A new id, from the dispatcher's clock (see [`Context::new_id`](crate::Context::new_id)).
    pub fn new_id(&self) -> Uuid {
        self.clock.new_id()
    }

    /// The application's services of type `S`, as given to
    /// [`Dispatcher::with_services`](crate::Dispatcher::with_services).
    pub fn services<S: Send + Sync + 'static>(&self) -> Result<&S, DispatchError> {
        Ok(self.services.get::<S>()?)
    }

    /// Each fact's query, with how many events matched it.
    pub(crate) fn queries(&self) -> Vec<QueryRead> {
        self.facts.iter().map(|fact| fact.read.clone()).collect()
    }

    /// The fact of type `F` the decision read (the first, if it read several).
    ///
    /// Fails with [`DispatchError::Undeclared`] when the decision's `reads` did not name one.
    pub fn fact<F: Fact>(&self) -> Result<&F, DispatchError> {
        self.facts::<F>().next().ok_or(DispatchError::Undeclared {
            decision: self.decision,
            aggregate_type: F::NAME,
            aggregate_id: "(a fact)".to_owned(),
        })
    }

    /// Every fact of type `F` the decision read, in the order `reads` named them: the seats of
    /// each course a student picks.
    pub fn facts<F: Fact>(&self) -> impl Iterator<Item = &F> {
        self.facts
            .iter()
            .filter_map(|fact| fact.state.downcast_ref::<F>())
    }

    /// Each aggregate read, at the version read.
    pub(crate) fn streams(&self) -> Vec<StreamVersion> {
        self.loaded
            .iter()
            .map(|loaded| StreamVersion {
                aggregate_type: loaded.aggregate_type.to_owned(),
                aggregate_id: loaded.aggregate_id.clone(),
                version: loaded.version,
            })
            .collect()
    }

    pub(crate) fn into_loaded(self) -> Vec<Loaded> {
        self.loaded
    }

    /// The aggregate's state, or `None` when it has no events yet (it does not exist).
    ///
    /// Fails with [`DispatchError::Undeclared`] when the decision's `reads` did not name it.
    pub fn get<A: Aggregate>(&self, id: &A::Id) -> Result<Option<&A>, DispatchError> {
        let (state, version) = self.find::<A>(id)?;
        Ok((version > 0).then_some(state))
    }

    /// The aggregate's state; [`DispatchError::NotFound`] when it does not exist.
    pub fn existing<A: Aggregate>(&self, id: &A::Id) -> Result<&A, DispatchError> {
        self.get::<A>(id)?.ok_or_else(|| DispatchError::NotFound {
            aggregate_type: A::TYPE,
            aggregate_id: id.to_string(),
        })
    }

    /// `Ok` when the aggregate does not exist yet; [`DispatchError::AlreadyExists`] otherwise.
    pub fn absent<A: Aggregate>(&self, id: &A::Id) -> Result<(), DispatchError> {
        match self.get::<A>(id)? {
            None => Ok(()),
            Some(_) => Err(DispatchError::AlreadyExists {
                aggregate_type: A::TYPE,
                aggregate_id: id.to_string(),
            }),
        }
    }

    /// The aggregate's version as read: the sequence of its last event, 0 if it has none.
    pub fn version<A: Aggregate>(&self, id: &A::Id) -> Result<u64, DispatchError> {
        self.find::<A>(id).map(|(_, version)| version)
    }

    fn find<A: Aggregate>(&self, id: &A::Id) -> Result<(&A, u64), DispatchError> {
        let id = id.to_string();
        self.loaded
            .iter()
            .find(|loaded| loaded.aggregate_type == A::TYPE && loaded.aggregate_id == id)
            .and_then(|loaded| {
                let state = loaded.state.downcast_ref::<A>()?;
                Some((state, loaded.version))
            })
            .ok_or(DispatchError::Undeclared {
                decision: self.decision,
                aggregate_type: A::TYPE,
                aggregate_id: id,
            })
    }
}

/// One aggregate as read, its type erased so that a decision can read several types.
pub(crate) struct Loaded {
    pub(crate) aggregate_type: &'static str,
    pub(crate) aggregate_id: String,
    pub(crate) version: u64,
    pub(crate) state: Box<dyn Any + Send + Sync>,
    pub(crate) ops: Ops,
}

impl Loaded {
    pub(crate) fn new<A: Aggregate>(aggregate_id: String, state: A, version: u64) -> Self {
        Self {
            aggregate_type: A::TYPE,
            aggregate_id,
            version,
            state: Box::new(state),
            ops: Ops::of::<A>(),
        }
    }
}

/// What the dispatcher does to a state whose type it no longer knows: the aggregate's own
/// functions, picked when the type was known.
#[derive(Clone, Copy)]
pub(crate) struct Ops {
    /// Whether a state is of the aggregate's type.
    pub(crate) holds: fn(&dyn Any) -> bool,
    /// Applies an event of the aggregate's event type; `false` when either is not of the type.
    pub(crate) apply: fn(&mut dyn Any, &dyn Any) -> bool,
    pub(crate) encode: fn(&dyn Any) -> Option<Result<Encoded, serde_json::Error>>,
    pub(crate) unique_values: fn(&dyn Any) -> UniqueValues,
    pub(crate) snapshot: fn(&dyn Any) -> Option<Result<Value, serde_json::Error>>,
    pub(crate) persistence: Persistence,
    pub(crate) snapshot_every: Option<u64>,
}

/// An event as stored: its name, schema version and payload.
pub(crate) struct Encoded {
    pub(crate) event_type: &'static str,
    pub(crate) event_version: u32,
    pub(crate) payload: Value,
    pub(crate) tags: Vec<Tag>,
}

impl Ops {
    pub(crate) fn of<A: Aggregate>() -> Self {
        Self {
            holds: |state| state.is::<A>(),
            apply: |state, event| match (
                state.downcast_mut::<A>(),
                event.downcast_ref::<A::Event>(),
            ) {
                (Some(state), Some(event)) => {
                    state.apply_event(event);
                    true
                }
                _ => false,
            },
            encode: |event| {
                use crate::event::Event;
                let event = event.downcast_ref::<A::Event>()?;
                Some(event.encode().map(|payload| Encoded {
                    event_type: event.event_type(),
                    event_version: event.event_version(),
                    payload,
                    tags: crate::event::tags_of(event),
                }))
            },
            unique_values: |state| {
                let mut values = UniqueValues::default();
                if let Some(state) = state.downcast_ref::<A>() {
                    state.unique_values(&mut values);
                }
                values
            },
            snapshot: |state| state.downcast_ref::<A>().map(Aggregate::snapshot),
            persistence: A::PERSISTENCE,
            snapshot_every: A::SNAPSHOT_EVERY,
        }
    }
}
