//! A fact as a decision's generated tests give it: the events, found by the scenario search,
//! that let the decision through and that make each of its guards refuse it, each event given
//! on an aggregate of its own and carrying the tags of the decision's example.

use std::sync::Arc;

use super::decision_cases::{DecisionCases, Given};
use super::examples::example;
use super::names::snake;
use super::reachable::{fact_as_aggregate, fed_by_name, succeeding_unread};
use super::scenario::{Scenario, refusals, succeeding};
use super::test_examples::Examples;
use crate::model::ir::{
    Aggregate, Command, Emit, Fact, FactHandler, FactRead, Guard, Offset, Type,
};

/// A fact's events as a decision's tests give them: to let it succeed, and to have each guard
/// refuse it.
#[derive(Default)]
pub(super) struct FactCases {
    pub(super) succeeding: Vec<Given>,
    pub(super) refusals: Vec<(Guard, Vec<Given>)>,
}

impl DecisionCases {
    /// The events that bring a fact to where the decision succeeds, and to where each of its
    /// guards refuses it: each event given on an aggregate of its own, carrying the tags of
    /// the decision's example. `None` when no history lets the decision through.
    pub(super) fn fact(
        &mut self,
        examples: &mut Examples,
        aggregate: &Aggregate,
        all: &[Aggregate],
        read: &FactRead,
    ) -> Option<FactCases> {
        let fact = &read.fact;
        let blank = fact_as_aggregate(fact)?;
        let tags = read.tags.iter().map(|(_, from)| from.clone()).collect();
        let needs = Command {
            guards: read.guards.clone(),
            ..Command::synthetic(read.name.clone(), tags)
        };
        // The example events carry the tags of the decision's example only where the decision
        // reads each tag from a field of the tag's own name (examples go by name).
        if read
            .tags
            .iter()
            .any(|(tag, from)| example(tag).json != example(from).json)
        {
            return succeeding_unread(&blank, &needs).then(FactCases::default);
        }
        let scenario = succeeding(&blank, &needs)?;
        let mut count = 0;
        let mut givens = |this: &mut Self, examples: &mut Examples, scenario: &Scenario| {
            let mut givens = Vec::new();
            for step in scenario.history.iter().filter(|step| !step.creates) {
                let handler = fact.handlers.iter().find(|h| h.event.name == step.name)?;
                let owner = all.iter().find(|a| a.name == handler.aggregate)?;
                count += 1;
                let id = match owner.id.ty {
                    Type::String => format!("\"{}-{count}\"", snake(&fact.name).replace('_', "-")),
                    Type::Int => format!("{}", 1000 + count),
                    _ => return None,
                };
                givens.push(this.fact_event(examples, aggregate, fact, owner, handler, id));
            }
            Some(givens)
        };
        let succeeding = givens(self, examples, &scenario)?;
        let mut refused = Vec::new();
        // A fact's guard that refuses only once time has passed goes untested: its events are
        // given at the decision's own time.
        let at_once = refusals(&blank, &needs)
            .into_iter()
            .filter(|scenario| scenario.later == Offset::NONE);
        for scenario in at_once {
            let guard = scenario.refused_by.expect("a refusal").clone();
            refused.push((guard, givens(self, examples, &scenario)?));
        }
        Some(FactCases {
            succeeding,
            refusals: refused,
        })
    }

    /// One event a fact folds, given alone on an aggregate `id` of the type that records it.
    fn fact_event(
        &mut self,
        examples: &mut Examples,
        aggregate: &Aggregate,
        fact: &Fact,
        owner: &Aggregate,
        handler: &FactHandler,
        id: String,
    ) -> Given {
        let name = format!("{}_{}", snake(&fact.name), snake(&handler.event.name));
        let emit = Emit {
            event: Arc::clone(&handler.event),
            fields: fed_by_name(&handler.event.fields),
        };
        // The file's own aggregate is named as it is; another through its module.
        let path = if owner.name == aggregate.name {
            if self.written.insert(name.clone(), ()).is_none() {
                let event_enum = format!("{}Event", owner.name);
                self.events.push(examples.event_in(
                    owner,
                    None,
                    &emit,
                    name.clone(),
                    "",
                    &event_enum,
                ));
            }
            owner.name.clone()
        } else {
            let module = snake(&owner.name);
            if !self.modules.contains(&module) {
                self.modules.push(module.clone());
                self.modules.sort();
            }
            self.write(examples, (owner, None), &emit, &name, owner);
            format!("{module}::{}", owner.name)
        };
        Given {
            path,
            id,
            history: vec![format!("{name}()")],
        }
    }
}
