//! Given/when/then tests of the commands that read other aggregates: a history for each
//! aggregate read, the decision, then the events on each or the refusal; and, for each
//! aggregate that must exist, the decision without it.

use std::collections::BTreeMap;

use super::layout;
use super::names::snake;
use super::reachable::{needs, recorded_on_by_others};
use super::rust::shifted;
use super::scenario::{Scenario, refusals, succeeding};
use super::test_examples::{ExampleFn, Examples, TestCase, condition_slug, expect_refusal};
use crate::model::ir::{Aggregate, Command, Dependency, Emit, Guard, Offset};

/// The tests of a file's decisions, with what they need besides the file's own examples.
#[derive(Default)]
pub(super) struct DecisionCases {
    /// Example events of the other aggregates, each once.
    pub(super) events: Vec<ExampleFn>,
    pub(super) cases: Vec<TestCase>,
    /// The other aggregates' modules the tests name.
    pub(super) modules: Vec<String>,
    /// Whether a test names `DispatchError`.
    pub(super) names_errors: bool,
    pub(super) written: BTreeMap<String, ()>,
    /// Whether the decision being added makes times or ids: its tests freeze the clock.
    frozen: bool,
}

/// One aggregate a decision reads, and the history that brings it to a wanted state.
#[derive(Clone)]
pub(super) struct Given {
    /// `Book` for the file's own aggregate, `member::Member` for another.
    pub(super) path: String,
    /// The expression of its id: the field of the decision's example.
    pub(super) id: String,
    pub(super) history: Vec<String>,
}

impl DecisionCases {
    pub(super) fn add(
        &mut self,
        examples: &mut Examples,
        aggregate: &Aggregate,
        all: &[Aggregate],
        command: &Command,
        own_event_fn: &dyn Fn(&Command, &Emit) -> String,
    ) {
        let example = format!("{}()", snake(&command.name));
        self.frozen = command.reads_clock();
        let Some(own) = succeeding(aggregate, command) else {
            return;
        };
        // Each fact, as the decision needs it to succeed.
        let mut facts = Vec::new();
        for read in &command.facts {
            let Some(cases) = self.fact(examples, aggregate, all, read) else {
                return;
            };
            facts.push((read, cases));
        }
        let facts_succeeding: Vec<Given> = facts
            .iter()
            .flat_map(|(_, cases)| cases.succeeding.clone())
            .collect();
        let own_given = |scenario: &Scenario| Given {
            path: aggregate.name.clone(),
            id: format!("{example}.{}", aggregate.id.name),
            history: history(scenario, |earlier, emit| {
                format!("{}()", own_event_fn(earlier, emit))
            }),
        };
        // The other aggregates, each as the decision needs it to succeed.
        // Each other aggregate with, beside its own commands, the events decisions of any
        // aggregate record on it: a member's loans are counted by the loans books record.
        let reachable: Vec<Aggregate> = command
            .depends_on
            .iter()
            .filter(|d| d.exists)
            .filter_map(|d| all.iter().find(|a| a.name == d.aggregate))
            .map(|other| recorded_on_by_others(other, all))
            .collect();
        if reachable.len() != command.depends_on.iter().filter(|d| d.exists).count() {
            return;
        }
        let mut others = Vec::new();
        for (dependency, other) in command
            .depends_on
            .iter()
            .filter(|d| d.exists)
            .zip(&reachable)
        {
            let needs = needs(command, dependency);
            let Some(scenario) = succeeding(other, &needs) else {
                return;
            };
            let given = self.given(examples, other, dependency, &example, &scenario);
            others.push((dependency, other, given));
        }
        let name = snake(&command.name);

        // It succeeds: its events on its own aggregate and on each other.
        let mut then = vec![id_and_list(
            &format!(".then_expect_events::<{}>", aggregate.name),
            &format!("{example}.{}", aggregate.id.name),
            command.emits.iter().map(|emit| own_event_fn(command, emit)),
        )];
        for dependency in command.depends_on.iter().filter(|d| !d.emits.is_empty()) {
            let module = snake(&dependency.aggregate);
            let expected: Vec<String> = dependency
                .emits
                .iter()
                .map(|emit| self.emitted(examples, aggregate, all, command, dependency, emit))
                .collect();
            then.push(id_and_list(
                &format!(".then_expect_events::<{module}::{}>", dependency.aggregate),
                &format!("{example}.{}", dependency.id.name),
                expected,
            ));
        }
        let mut all_given = vec![own_given(&own)];
        all_given.extend(others.iter().map(|(_, _, given)| given.clone()));
        all_given.extend(facts_succeeding.iter().cloned());
        self.case(
            format!("{name}_records_its_events_on_every_aggregate"),
            (&all_given, Offset::NONE),
            &example,
            then,
        );

        // Each of its own guards refuses it.
        for scenario in refusals(aggregate, command) {
            let guard = scenario.refused_by.expect("a refusal");
            let mut refused = vec![own_given(&scenario)];
            refused.extend(others.iter().map(|(_, _, given)| given.clone()));
            refused.extend(facts_succeeding.iter().cloned());
            self.case(
                refusal_name(&name, None, guard),
                (&refused, scenario.later),
                &example,
                vec![refusal(guard)],
            );
        }
        // Each guard on another aggregate refuses it.
        for (index, (dependency, other, _)) in others.iter().enumerate() {
            let needs = needs(command, dependency);
            // Refusals only once time has passed go untested here: the guards checked before
            // this aggregate's were passed at the decision's own time, not later.
            let at_once = refusals(other, &needs)
                .into_iter()
                .filter(|scenario| scenario.later == Offset::NONE);
            for scenario in at_once {
                let guard = scenario.refused_by.expect("a refusal");
                let mut refused = vec![own_given(&own)];
                for (at, (_, _, given)) in others.iter().enumerate() {
                    refused.push(if at == index {
                        self.given(examples, other, dependency, &example, &scenario)
                    } else {
                        given.clone()
                    });
                }
                refused.extend(facts_succeeding.iter().cloned());
                self.case(
                    refusal_name(&name, Some(&dependency.name), guard),
                    (&refused, Offset::NONE),
                    &example,
                    vec![refusal(guard)],
                );
            }
        }
        // Each guard on a fact refuses it, the fact's events bringing it there.
        for (index, (read, cases)) in facts.iter().enumerate() {
            for (guard, history) in &cases.refusals {
                let mut refused = vec![own_given(&own)];
                refused.extend(others.iter().map(|(_, _, given)| given.clone()));
                for (at, (_, other)) in facts.iter().enumerate() {
                    let givens = if at == index {
                        history
                    } else {
                        &other.succeeding
                    };
                    refused.extend(givens.iter().cloned());
                }
                self.case(
                    refusal_name(&name, Some(&read.name), guard),
                    (&refused, Offset::NONE),
                    &example,
                    vec![refusal(guard)],
                );
            }
        }
        // Without each aggregate that must exist, it is refused as not found.
        for (index, (dependency, _, _)) in others.iter().enumerate() {
            let mut without = vec![own_given(&own)];
            without.extend(
                others
                    .iter()
                    .enumerate()
                    .filter(|(at, _)| *at != index)
                    .map(|(_, (_, _, given))| given.clone()),
            );
            without.extend(facts_succeeding.iter().cloned());
            self.names_errors = true;
            let check = format!(
                "assert!(\n        matches!(\n            error,\n            DispatchError::NotFound {{\n                aggregate_type: {:?},\n                ..\n            }}\n        ),\n        \"{{error}}\"\n    );",
                dependency.aggregate
            );
            let mut calls = self.given_calls(&without, &example, Offset::NONE);
            calls.push(".then_expect_error()".to_owned());
            self.cases.push(TestCase {
                name: format!("{name}_is_refused_without_its_{}", dependency.name),
                statements: vec![
                    layout::chain("let error = given_aggregates()", &calls, 4, ";"),
                    check,
                ],
            });
        }
    }

    /// The other aggregate after `scenario`'s history, its example events written once.
    fn given(
        &mut self,
        examples: &mut Examples,
        other: &Aggregate,
        dependency: &Dependency,
        example: &str,
        scenario: &Scenario,
    ) -> Given {
        let module = snake(&other.name);
        if !self.modules.contains(&module) {
            self.modules.push(module.clone());
            self.modules.sort();
        }
        let history = history(scenario, |earlier, emit| {
            let name = format!(
                "{module}_{}_by_{}",
                snake(&emit.event.name),
                snake(&earlier.name)
            );
            self.write(examples, (other, Some(earlier)), emit, &name, other);
            format!("{name}()")
        });
        Given {
            path: format!("{module}::{}", other.name),
            id: format!("{example}.{}", dependency.id.name),
            history,
        }
    }

    /// The example of an event the decision records on another aggregate.
    fn emitted(
        &mut self,
        examples: &mut Examples,
        aggregate: &Aggregate,
        all: &[Aggregate],
        command: &Command,
        dependency: &Dependency,
        emit: &Emit,
    ) -> String {
        let module = snake(&dependency.aggregate);
        let name = format!(
            "{module}_{}_by_{}",
            snake(&emit.event.name),
            snake(&command.name)
        );
        if let Some(other) = all.iter().find(|a| a.name == dependency.aggregate) {
            self.write(examples, (aggregate, Some(command)), emit, &name, other);
        }
        name
    }

    /// Writes the example function `name` once: `emit`'s event of `owner` (in `owner`'s
    /// module), recorded by `recorder`, a command addressed to `addressed`.
    pub(super) fn write(
        &mut self,
        examples: &mut Examples,
        (addressed, recorder): (&Aggregate, Option<&Command>),
        emit: &Emit,
        name: &str,
        owner: &Aggregate,
    ) {
        let module = snake(&owner.name);
        if self.written.insert(name.to_owned(), ()).is_none() {
            let event_enum = format!("{module}::{}Event", owner.name);
            self.events.push(examples.event_in(
                addressed,
                recorder,
                emit,
                name.to_owned(),
                &format!("{module}::"),
                &event_enum,
            ));
        }
    }

    /// A test of the decision `example`, `later` than `now()` after the aggregates `given`.
    fn case(
        &mut self,
        name: String,
        (given, later): (&[Given], Offset),
        example: &str,
        then: Vec<String>,
    ) {
        let mut calls = self.given_calls(given, example, later);
        calls.extend(then);
        self.cases.push(TestCase {
            name,
            statements: vec![layout::chain("given_aggregates()", &calls, 4, ";")],
        });
    }

    /// `.at(now())` (or `later`) when the clock is frozen, `.aggregate::<..>(..)` for each
    /// aggregate given, then `.when(..)`.
    fn given_calls(&self, given: &[Given], example: &str, later: Offset) -> Vec<String> {
        let mut calls = given_calls(given, example);
        if self.frozen {
            calls.insert(
                0,
                format!(".at({})", shifted("now()".into(), &later, false)),
            );
        }
        calls
    }
}

/// `.aggregate::<..>(..)` for each aggregate given, then `.when(..)`.
fn given_calls(given: &[Given], example: &str) -> Vec<String> {
    let mut calls: Vec<String> = given
        .iter()
        .map(|given| {
            id_and_list(
                &format!(".aggregate::<{}>", given.path),
                &given.id,
                given.history.iter().cloned(),
            )
        })
        .collect();
    calls.push(format!(".when({example})"));
    calls
}

/// `callee(id, [a(), b()])` in a chain, laid out as rustfmt writes it: on one line, or each
/// argument on its own line.
fn id_and_list(callee: &str, id: &str, names: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = names
        .into_iter()
        .map(|name| {
            if name.ends_with(')') {
                name
            } else {
                format!("{name}()")
            }
        })
        .collect();
    let flat = layout::call(
        callee,
        &[id.to_owned(), layout::array("[", &items, 8, 0)],
        8,
        "",
    );
    if !flat.contains('\n') {
        return flat;
    }
    layout::call(
        callee,
        &[id.to_owned(), layout::array("[", &items, 12, 0)],
        8,
        "",
    )
}

/// The events of `scenario`'s history, as calls of example functions.
fn history(scenario: &Scenario, mut call: impl FnMut(&Command, &Emit) -> String) -> Vec<String> {
    let mut events = Vec::new();
    for earlier in &scenario.history {
        for emit in &earlier.emits {
            events.push(call(earlier, emit));
        }
    }
    events
}

fn refusal(guard: &Guard) -> String {
    expect_refusal(guard)
}

fn refusal_name(command: &str, dependency: Option<&str>, guard: &Guard) -> String {
    match dependency {
        None => format!(
            "{command}_is_refused_unless_{}_{}",
            guard.field.name,
            condition_slug(&guard.condition)
        ),
        Some(dependency) => format!(
            "{command}_is_refused_unless_{dependency}_{}_{}",
            guard.field.name,
            condition_slug(&guard.condition)
        ),
    }
}
