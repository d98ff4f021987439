//! What a decision reads, collected from its `reads` before anything is read: each aggregate
//! once, with how to load it, and each fact, with how to fold it from the store.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use super::{DispatchError, Dispatcher};
use crate::aggregate::Aggregate;
use crate::decision::{Fact, FactRead, Loaded, Ops, Reads};
use crate::store::StoreError;
use crate::tag::Tag;

/// Loads one aggregate of a type the loader no longer names.
pub(super) type Load =
    for<'a> fn(
        &'a Dispatcher,
        &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Loaded, DispatchError>> + Send + 'a>>;

/// What a decision reads: each aggregate once, with how to load it, and each fact.
#[derive(Default)]
pub(super) struct Wanted {
    pub(super) aggregates: Vec<Want>,
    pub(super) facts: Vec<WantFact>,
}

pub(super) struct Want {
    pub(super) aggregate_type: &'static str,
    pub(super) aggregate_id: String,
    pub(super) load: Load,
    pub(super) ops: Ops,
}

/// A fact before any event, with how to fold it from the store.
pub(super) struct WantFact {
    pub(super) state: Box<dyn Any + Send>,
    tags: Vec<Tag>,
    pub(super) load: LoadFact,
}

/// Folds a fact of a type the loader no longer names.
pub(super) type LoadFact =
    for<'a> fn(
        &'a Dispatcher,
        Box<dyn Any + Send>,
    ) -> Pin<Box<dyn Future<Output = Result<FactRead, DispatchError>> + Send + 'a>>;

/// The mailbox kind under which decisions take turns on a tag.
pub(super) const TAG_TURN: &str = "eventwright tag";

impl Wanted {
    /// Every tag of a fact's query, each once.
    pub(super) fn fact_tags(&self) -> Vec<&str> {
        let mut tags: Vec<&str> = self
            .facts
            .iter()
            .flat_map(|fact| fact.tags.iter().map(Tag::as_str))
            .collect();
        tags.sort_unstable();
        tags.dedup();
        tags
    }
}

impl Reads for Wanted {
    fn aggregate<A: Aggregate>(&mut self, id: &A::Id) {
        let aggregate_id = id.to_string();
        let seen = self
            .aggregates
            .iter()
            .any(|want| want.aggregate_type == A::TYPE && want.aggregate_id == aggregate_id);
        if !seen {
            self.aggregates.push(Want {
                aggregate_type: A::TYPE,
                aggregate_id,
                load: load::<A>,
                ops: Ops::of::<A>(),
            });
        }
    }

    fn fact<F: Fact>(&mut self, fact: F) {
        let tags = fact.query().tags().into_iter().cloned().collect();
        self.facts.push(WantFact {
            state: Box::new(fact),
            tags,
            load: load_fact::<F>,
        });
    }
}

fn load_fact<'a, F: Fact>(
    dispatcher: &'a Dispatcher,
    fact: Box<dyn Any + Send>,
) -> Pin<Box<dyn Future<Output = Result<FactRead, DispatchError>> + Send + 'a>> {
    Box::pin(async move {
        let fact = *fact.downcast::<F>().map_err(|_| {
            DispatchError::Store(StoreError::Corrupt(format!(
                "the fact {} was read as another type",
                F::NAME
            )))
        })?;
        let events = dispatcher
            .store
            .read_matching(&fact.query())
            .await
            .map_err(DispatchError::from_store)?;
        Ok(FactRead::fold(fact, &events)?)
    })
}

fn load<'a, A: Aggregate>(
    dispatcher: &'a Dispatcher,
    aggregate_id: &'a str,
) -> Pin<Box<dyn Future<Output = Result<Loaded, DispatchError>> + Send + 'a>> {
    Box::pin(async move {
        let (state, version) = dispatcher.load::<A>(aggregate_id).await?;
        Ok(Loaded::new(aggregate_id.to_owned(), state, version))
    })
}
