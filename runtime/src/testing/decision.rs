//! Given/when/then for decisions over several aggregates: each aggregate's past events, a
//! decision, the events expected on each aggregate or the refusal.

use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use pretty_assertions::assert_eq;

use super::refusal::{assert_code, assert_message, assert_rejection};
use crate::aggregate::Aggregate;
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::context::ServiceMap;
use crate::decision::{Changes, Decide, Fact, FactRead, Loaded, Read, Reads};
use crate::dispatch::{DispatchError, prepare};
use crate::event::{DecodeError, Event, EventEnvelope, Metadata, tags_of};
use crate::rejection::{DomainRejection, Rejection};
use crate::tag::Tag;

/// Starts a scenario over several aggregates, each given its past events with
/// [`aggregate`](GivenAggregates::aggregate). An aggregate the decision reads but the scenario
/// never gave does not exist.
pub fn given_aggregates() -> GivenAggregates {
    GivenAggregates::default()
}

/// Aggregates rebuilt from their past events, and those events as a log, for the facts a
/// decision reads.
#[derive(Default)]
pub struct GivenAggregates {
    loaded: Vec<Loaded>,
    log: Vec<(EventEnvelope, Vec<Tag>)>,
    /// When the decision is made, and its new ids; the system's clock unless set.
    clock: Option<Arc<dyn Clock>>,
    services: ServiceMap,
}

impl Debug for GivenAggregates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given: Vec<_> = self
            .loaded
            .iter()
            .map(|loaded| (loaded.aggregate_type, &loaded.aggregate_id, loaded.version))
            .collect();
        f.debug_struct("GivenAggregates")
            .field("given", &given)
            .finish()
    }
}

impl GivenAggregates {
    /// Makes the decision at `now`: what [`Read::now`] says and the events' timestamp; new
    /// ids are numbered from 1, as a [`ManualClock`]'s.
    pub fn at(self, now: DateTime<Utc>) -> Self {
        self.with_clock(ManualClock::at(now))
    }

    /// The clock the decision reads (the system's unless set).
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone().unwrap_or_else(|| Arc::new(SystemClock))
    }

    /// What [`Read::services`] finds for type `S`: the real services, or a fake of the type.
    pub fn with_services<S: Send + Sync + 'static>(mut self, services: S) -> Self {
        self.services.insert(Arc::new(services));
        self
    }

    /// The aggregate of type `A` with this id has recorded `events` (more of them if it was
    /// given before). They also make up the log that the facts a decision reads are folded
    /// from, each with the tags it carries, in the order given across all aggregates.
    #[track_caller]
    pub fn aggregate<A: Aggregate>(
        mut self,
        id: impl Into<A::Id>,
        events: impl IntoIterator<Item = A::Event>,
    ) -> Self {
        let id = id.into().to_string();
        let index = match self.position::<A>(&id) {
            Some(index) => index,
            None => {
                self.loaded.push(Loaded::new(id.clone(), A::default(), 0));
                self.loaded.len() - 1
            }
        };
        let timestamp = self.clock().now();
        let given = &mut self.loaded[index];
        for event in events {
            (given.ops.apply)(&mut *given.state, &event);
            given.version += 1;
            let payload = event
                .encode()
                .unwrap_or_else(|error| panic!("a given event cannot be encoded: {error}"));
            let position = self.log.len() as u64 + 1;
            let recorded = EventEnvelope {
                event_id: uuid::Uuid::now_v7(),
                aggregate_type: A::TYPE.to_owned(),
                aggregate_id: id.clone(),
                sequence: given.version,
                position,
                event_type: event.event_type().to_owned(),
                event_version: event.event_version(),
                timestamp,
                metadata: Metadata::default(),
                payload,
            };
            self.log.push((recorded, tags_of(&event)));
        }
        self
    }

    fn position<A: Aggregate>(&self, id: &str) -> Option<usize> {
        self.loaded
            .iter()
            .position(|loaded| loaded.aggregate_type == A::TYPE && loaded.aggregate_id == id)
    }

    /// Decides `decision` on the aggregates it reads, as the dispatcher would: validation,
    /// the decision, then the unique values its events claim, refused with
    /// [`DispatchError::Taken`] when a given aggregate holds one.
    #[must_use = "a scenario asserts nothing until a `then_` method is called"]
    pub fn when<D: Decide>(self, decision: D) -> ThenDecided {
        let outcome = decision
            .validate()
            .map_err(DispatchError::Invalid)
            .and_then(|()| decide(self, &decision));
        ThenDecided { outcome }
    }
}

/// Moves each aggregate read out of the given ones, or an empty one if it was never given;
/// folds each fact read from the given events matching its query.
struct Given(
    GivenAggregates,
    Vec<Loaded>,
    Vec<Result<FactRead, DecodeError>>,
);

impl Reads for Given {
    fn aggregate<A: Aggregate>(&mut self, id: &A::Id) {
        let id = id.to_string();
        let read_already = self
            .1
            .iter()
            .any(|loaded| loaded.aggregate_type == A::TYPE && loaded.aggregate_id == id);
        if read_already {
            return;
        }
        let loaded = match self.0.position::<A>(&id) {
            Some(index) => self.0.loaded.remove(index),
            None => Loaded::new(id, A::default(), 0),
        };
        self.1.push(loaded);
    }

    fn fact<F: Fact>(&mut self, fact: F) {
        let query = fact.query();
        let matching: Vec<EventEnvelope> = self
            .0
            .log
            .iter()
            .filter(|(event, tags)| query.matches(&event.aggregate_type, &event.event_type, tags))
            .map(|(event, _)| event.clone())
            .collect();
        self.2.push(FactRead::fold(fact, &matching));
    }
}

fn decide<D: Decide>(given: GivenAggregates, decision: &D) -> Result<Changes, DispatchError> {
    let mut reads = Given(given, Vec::new(), Vec::new());
    decision.reads(&mut reads);
    let Given(mut unread, read, facts) = reads;
    let facts = facts.into_iter().collect::<Result<Vec<_>, _>>()?;
    let clock = unread.clock();
    let services = Arc::new(std::mem::take(&mut unread.services));
    let read = Read::new(D::NAME, read, facts, clock, services);
    let mut changes = Changes::default();
    decision.decide(&read, &mut changes)?;
    let (append, after) = prepare(D::NAME, read, &changes, &Metadata::default())?;
    // Every other aggregate, as the decision leaves it, may hold what it claims.
    for claim in &append.claims {
        let holder = after.iter().chain(&unread.loaded).find(|holder| {
            (holder.aggregate_type != claim.aggregate_type
                || holder.aggregate_id != claim.aggregate_id)
                && (holder.ops.unique_values)(&*holder.state)
                    .iter()
                    .any(|(scope, value)| scope == claim.scope && value == claim.value)
        });
        if let Some(holder) = holder {
            return Err(DispatchError::Taken {
                scope: claim.scope.clone(),
                value: claim.value.clone(),
                holder_type: holder.aggregate_type.to_owned(),
                holder_id: holder.aggregate_id.clone(),
            });
        }
    }
    Ok(changes)
}

/// The outcome of a decision, to assert on. Each `then_` asserts; ignoring it tests nothing.
#[derive(Debug)]
pub struct ThenDecided {
    outcome: Result<Changes, DispatchError>,
}

impl ThenDecided {
    /// Asserts that the decision emitted exactly these events onto the aggregate of type `A`
    /// with this id; chain one call per aggregate.
    #[track_caller]
    pub fn then_expect_events<A>(
        self,
        id: impl Into<A::Id>,
        expected: impl IntoIterator<Item = impl Into<A::Event>>,
    ) -> Self
    where
        A: Aggregate,
        A::Event: PartialEq + Debug,
    {
        let expected: Vec<A::Event> = expected.into_iter().map(Into::into).collect();
        let id = id.into();
        match &self.outcome {
            Ok(changes) => {
                let emitted: Vec<&A::Event> = changes.events::<A>(&id).collect();
                let expected: Vec<&A::Event> = expected.iter().collect();
                assert_eq!(
                    emitted,
                    expected,
                    "the decision emitted other events onto {} {id} than expected",
                    A::TYPE
                );
            }
            Err(error) => panic!("expected events {expected:?}, but the decision failed: {error}"),
        }
        self
    }

    /// Asserts that the decision succeeded and emitted nothing.
    #[track_caller]
    pub fn then_expect_no_events(self) {
        match self.outcome {
            Ok(changes) => assert!(
                changes.is_empty(),
                "expected no events, but got {changes:?}"
            ),
            Err(error) => panic!("expected no events, but the decision failed: {error}"),
        }
    }

    /// Asserts that the decision failed, and returns why for further checks.
    #[track_caller]
    pub fn then_expect_error(self) -> DispatchError {
        match self.outcome {
            Ok(changes) => panic!("expected the decision to fail, but it emitted {changes:?}"),
            Err(error) => error,
        }
    }

    /// Asserts that a guard refused the decision with this message.
    #[track_caller]
    pub fn then_expect_refusal(self, message: &str) {
        match self.then_expect_error() {
            DispatchError::Rejected(refusal) => assert_message(&refusal, message, "the decision"),
            other => panic!("expected a refusal \"{message}\", but got: {other}"),
        }
    }

    /// Asserts that the decision was refused with exactly this domain rejection.
    #[track_caller]
    pub fn then_expect_rejection<R: DomainRejection + PartialEq>(self, expected: R) {
        assert_rejection(&self.then_expect_rejected(), &expected, "the decision");
    }

    /// Asserts that the decision was refused with this code.
    #[track_caller]
    pub fn then_expect_rejection_code(self, code: &str) -> Rejection {
        let rejection = self.then_expect_rejected();
        assert_code(&rejection, code, "the decision");
        rejection
    }

    #[track_caller]
    fn then_expect_rejected(self) -> Rejection {
        match self.then_expect_error() {
            DispatchError::Rejected(rejection) => rejection,
            other => panic!("expected the decision to be refused, but got: {other}"),
        }
    }

    /// The emitted events, or why there are none.
    pub fn outcome(self) -> Result<Changes, DispatchError> {
        self.outcome
    }
}
