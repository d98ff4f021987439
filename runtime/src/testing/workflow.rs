//! Given/when/then for workflows: events (and time) in, commands and timers out, with no store
//! and no dispatcher.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::aggregate::Aggregate;
use crate::clock::{Clock, SystemClock};
use crate::dispatch::DispatchError;
use crate::event::{Event, EventEnvelope, Metadata};
use crate::rejection::Rejection;
use crate::workflow::{Events, Issued, Policy, ProcessManager, Refused, Steps};

/// Starts a process manager's scenario: no process yet, the clock frozen at the time now
/// (see [`at`](GivenProcess::at)).
///
/// Events given with [`event`](GivenProcess::event) are handled as the engine would (routed by
/// `correlate` and `starts`, folded into the state, timers set), and what they send is
/// forgotten; [`when`](GivenProcess::when) and
/// [`when_time_passes`](GivenProcess::when_time_passes) return what happens next, for
/// [`Then`] to check.
///
/// ```text
/// given_process(Fulfilment)
///     .at(noon)
///     .refusing::<ReserveStock>(Rejection::refused("out_of_stock", "none left"))
///     .event::<Order>("o-1", Placed { .. })
///     .when::<Order>("o-1", CheckedOut { .. })
///     .then_sends(ReserveStock { .. })
///     .then_sends(CancelOrder { .. })            // the compensation
///     .then_finishes();
/// ```
pub fn given_process<M: ProcessManager>(manager: M) -> GivenProcess<M> {
    GivenProcess {
        manager,
        now: SystemClock.now(),
        processes: BTreeMap::new(),
        sequences: HashMap::new(),
        position: 0,
        refusals: Vec::new(),
    }
}

/// Starts a policy's scenario: [`when`](GivenPolicy::when) an event, [`Then`] the commands.
pub fn given_policy<P: Policy>(policy: P) -> GivenPolicy<P> {
    GivenPolicy {
        policy,
        now: SystemClock.now(),
        sequences: HashMap::new(),
        position: 0,
    }
}

/// A process manager's processes, as the events given so far leave them.
pub struct GivenProcess<M: ProcessManager> {
    manager: M,
    now: DateTime<Utc>,
    processes: BTreeMap<String, Process<M>>,
    sequences: HashMap<(&'static str, String), u64>,
    position: u64,
    refusals: Vec<Refusal>,
}

struct Process<M: ProcessManager> {
    /// `None` once finished.
    state: Option<M::State>,
    timers: BTreeMap<String, (DateTime<Utc>, M::Timer)>,
}

type Refusal = Box<dyn Fn(&dyn Issued) -> Option<DispatchError>>;

impl<M: ProcessManager> GivenProcess<M> {
    /// Freezes the clock at `now`: what [`Steps::now`] reads, and what timers count from.
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    /// Answers every `C` the workflow sends with `rejection`, as the domain would refuse it:
    /// the workflow's [`on_refused`](ProcessManager::on_refused) runs.
    pub fn refusing<C: 'static>(mut self, rejection: Rejection) -> Self {
        self.refusals.push(Box::new(move |command: &dyn Issued| {
            command
                .as_any()
                .is::<C>()
                .then(|| DispatchError::Rejected(rejection.clone()))
        }));
        self
    }

    /// An event of aggregate `A` that happened before: handled, and what it sends forgotten.
    pub fn event<A: Aggregate>(
        mut self,
        aggregate_id: impl ToString,
        event: impl Into<A::Event>,
    ) -> Self {
        let envelope = self.envelope::<A>(aggregate_id.to_string(), &event.into());
        self.handle(&envelope);
        self
    }

    /// Then this event of aggregate `A` happens.
    pub fn when<A: Aggregate>(
        mut self,
        aggregate_id: impl ToString,
        event: impl Into<A::Event>,
    ) -> Then {
        let envelope = self.envelope::<A>(aggregate_id.to_string(), &event.into());
        self.handle(&envelope)
    }

    /// Then the clock moves `by`: every timer due by then fires, the earliest first.
    pub fn when_time_passes(mut self, by: Duration) -> Then {
        let until = self.now + by;
        let mut then = Then::default();
        loop {
            let due = self
                .processes
                .iter()
                .flat_map(|(correlation, process)| {
                    process
                        .timers
                        .iter()
                        .map(move |(name, (at, _))| (*at, correlation.clone(), name.clone()))
                })
                .filter(|(at, ..)| *at <= until)
                .min();
            let Some((at, correlation, name)) = due else {
                break;
            };
            self.now = at;
            let process = self
                .processes
                .get_mut(&correlation)
                .expect("a timer's process");
            let (_, timer) = process.timers.remove(&name).expect("the due timer");
            let mut steps = Steps::new(self.now);
            let state = process
                .state
                .as_mut()
                .expect("a pending timer's process runs");
            self.manager.on_timer(state, timer, &mut steps);
            then.fired.push(name);
            self.finish_step(&correlation, steps, &mut then);
        }
        self.now = until;
        then
    }

    /// The state of the process `correlation`, unless it has not started or has finished.
    pub fn state(&self, correlation: &str) -> Option<&M::State> {
        self.processes.get(correlation)?.state.as_ref()
    }

    fn envelope<A: Aggregate>(&mut self, aggregate_id: String, event: &A::Event) -> EventEnvelope {
        let sequence = self
            .sequences
            .entry((A::TYPE, aggregate_id.clone()))
            .or_default();
        *sequence += 1;
        self.position += 1;
        envelope::<A>(aggregate_id, *sequence, self.position, self.now, event)
    }

    fn handle(&mut self, envelope: &EventEnvelope) -> Then {
        let mut then = Then::default();
        let event = M::Event::from_envelope(envelope)
            .unwrap_or_else(|error| panic!("the workflow cannot decode a given event: {error}"));
        let Some(event) = event else {
            return then;
        };
        let Some(correlation) = self.manager.correlate(&event, envelope) else {
            return then;
        };
        if !self.processes.contains_key(&correlation) {
            if !self.manager.starts(&event) {
                return then;
            }
            self.processes.insert(
                correlation.clone(),
                Process {
                    state: Some(M::State::default()),
                    timers: BTreeMap::new(),
                },
            );
        }
        let process = self
            .processes
            .get_mut(&correlation)
            .expect("inserted above");
        let Some(state) = process.state.as_mut() else {
            return then;
        };
        let mut steps = Steps::new(self.now);
        self.manager.handle(state, &event, envelope, &mut steps);
        if let Some(reason) = steps.poisoned.take() {
            panic!("the workflow cannot handle the event: {reason}");
        }
        self.finish_step(&correlation, steps, &mut then);
        then
    }

    /// Answers the step's commands (refusing the ones [`refusing`](Self::refusing) names, and
    /// running the compensations), then keeps its timers.
    fn finish_step(&mut self, correlation: &str, mut steps: Steps<M::Timer>, then: &mut Then) {
        let process = self
            .processes
            .get_mut(correlation)
            .expect("a running process");
        let state = process.state.as_mut().expect("a running process");
        while !steps.commands.is_empty() {
            for command in std::mem::take(&mut steps.commands) {
                let refused = self.refusals.iter().find_map(|refuse| refuse(&*command));
                if let Some(error) = &refused {
                    let refused = Refused {
                        command: &*command,
                        error,
                    };
                    self.manager.on_refused(state, &refused, &mut steps);
                }
                then.sent.push(command);
            }
        }
        for name in steps.cancel {
            process.timers.remove(&name);
            then.cancelled.push(name);
        }
        for (name, at, timer) in steps.schedule {
            then.scheduled.push((name.clone(), at));
            process.timers.insert(name, (at, timer));
        }
        if steps.finished {
            process.state = None;
            process.timers.clear();
            then.finished = true;
        }
    }
}

/// A policy's scenario.
pub struct GivenPolicy<P: Policy> {
    policy: P,
    now: DateTime<Utc>,
    sequences: HashMap<(&'static str, String), u64>,
    position: u64,
}

impl<P: Policy> GivenPolicy<P> {
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    /// This event of aggregate `A` happens: the policy reacts.
    pub fn when<A: Aggregate>(
        mut self,
        aggregate_id: impl ToString,
        event: impl Into<A::Event>,
    ) -> Then {
        let aggregate_id = aggregate_id.to_string();
        let sequence = self
            .sequences
            .entry((A::TYPE, aggregate_id.clone()))
            .or_default();
        *sequence += 1;
        self.position += 1;
        let envelope = envelope::<A>(
            aggregate_id,
            *sequence,
            self.position,
            self.now,
            &event.into(),
        );
        let mut then = Then::default();
        let event = P::Event::from_envelope(&envelope)
            .unwrap_or_else(|error| panic!("the policy cannot decode the event: {error}"));
        if let Some(event) = event {
            let mut steps = Steps::new(self.now);
            self.policy.react(&event, &envelope, &mut steps);
            if let Some(reason) = steps.poisoned.take() {
                panic!("the policy cannot handle the event: {reason}");
            }
            then.sent = steps.commands;
        }
        then
    }
}

/// What a step (or the timers that fired) did; each `then_` checks the next thing in order.
#[derive(Debug, Default)]
pub struct Then {
    sent: Vec<Box<dyn Issued>>,
    checked: usize,
    scheduled: Vec<(String, DateTime<Utc>)>,
    cancelled: Vec<String>,
    fired: Vec<String>,
    finished: bool,
}

impl Then {
    /// Asserts that the next command sent is `expected`.
    #[track_caller]
    pub fn then_sends<C: Issued>(mut self, expected: C) -> Self {
        match self.sent.get(self.checked) {
            Some(sent) => assert!(
                expected.same_as(&**sent),
                "command {} sent differs:\nexpected {expected:#?}\n     got {sent:#?}",
                self.checked + 1
            ),
            None => panic!(
                "expected command {} to be {expected:#?}, but only {} were sent: {:#?}",
                self.checked + 1,
                self.sent.len(),
                self.sent
            ),
        }
        self.checked += 1;
        self
    }

    /// Asserts that nothing was sent besides the commands checked so far.
    #[track_caller]
    pub fn then_sends_nothing_more(self) -> Self {
        let rest = &self.sent[self.checked..];
        assert!(rest.is_empty(), "more commands were sent: {rest:#?}");
        self
    }

    /// Asserts that the timer `name` was set to fire at `at`.
    #[track_caller]
    pub fn then_schedules(self, name: &str, at: DateTime<Utc>) -> Self {
        assert!(
            self.scheduled
                .iter()
                .any(|(set, when)| set == name && *when == at),
            "expected the timer {name:?} at {at}; set: {:?}",
            self.scheduled
        );
        self
    }

    /// Asserts that the timer `name` was cancelled.
    #[track_caller]
    pub fn then_cancels(self, name: &str) -> Self {
        assert!(
            self.cancelled.iter().any(|cancelled| cancelled == name),
            "expected the timer {name:?} cancelled; cancelled: {:?}",
            self.cancelled
        );
        self
    }

    /// Asserts that the timer `name` fired.
    #[track_caller]
    pub fn then_fires(self, name: &str) -> Self {
        assert!(
            self.fired.iter().any(|fired| fired == name),
            "expected the timer {name:?} to fire; fired: {:?}",
            self.fired
        );
        self
    }

    /// Asserts that the process finished.
    #[track_caller]
    pub fn then_finishes(self) -> Self {
        assert!(self.finished, "expected the process to finish");
        self
    }

    /// Every command sent, in order.
    pub fn sent(&self) -> impl Iterator<Item = &dyn Issued> {
        self.sent.iter().map(|command| &**command)
    }
}

fn envelope<A: Aggregate>(
    aggregate_id: String,
    sequence: u64,
    position: u64,
    at: DateTime<Utc>,
    event: &A::Event,
) -> EventEnvelope {
    EventEnvelope {
        event_id: Uuid::now_v7(),
        aggregate_type: A::TYPE.to_owned(),
        aggregate_id,
        sequence,
        position,
        event_type: event.event_type().to_owned(),
        event_version: event.event_version(),
        timestamp: at,
        metadata: Metadata::default(),
        payload: event
            .encode()
            .unwrap_or_else(|error| panic!("a given event cannot be encoded: {error}")),
    }
}

impl<P: Policy> Debug for GivenPolicy<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GivenPolicy")
            .field("workflow", &P::NAME)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl<M: ProcessManager> Debug for GivenProcess<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GivenProcess")
            .field("workflow", &M::NAME)
            .field("now", &self.now)
            .field("processes", &self.processes.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
