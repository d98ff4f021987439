//! `tests/<aggregate>.rs`: the generated project's given/when/then tests, one per command that
//! succeeds and one per guard that refuses it, on example values.

use std::collections::BTreeMap;

use askama::Template;

use super::decision_cases::DecisionCases;
use super::filters;
use super::imports::{Imports, use_line};
use super::layout;
use super::names::snake;
use super::rust::shifted;
use super::scenario::{Scenario, TEST_NOW, refusals, succeeding};
use super::test_examples::{ExampleFn, Examples, TestCase, condition_slug, expect_refusal};
use crate::model::ir::{Aggregate, Command, Emit, Source};

#[derive(Template)]
#[template(path = "tests/aggregate.rs")]
pub struct AggregateTest {
    /// `use eventwright::...;` lines.
    runtime_uses: Vec<String>,
    uses: Vec<String>,
    crate_uses: Vec<String>,
    consts: Vec<String>,
    /// Whether a test freezes the clock (a command makes times or ids, or compares a time with
    /// now): then `fn now()`, standing at `now`.
    reads_clock: bool,
    now: &'static str,
    commands: Vec<ExampleFn>,
    events: Vec<ExampleFn>,
    cases: Vec<TestCase>,
}

impl AggregateTest {
    pub fn new(aggregate: &Aggregate, all: &[Aggregate], crate_name: &str) -> Self {
        let mut examples = Examples::new(all);
        let commands: Vec<ExampleFn> = aggregate
            .commands
            .iter()
            .map(|c| examples.command(aggregate, c))
            .collect();

        // One example function per recorded event, named after the event, or after the event and
        // its command when several commands record it.
        let mut emitters: BTreeMap<&str, usize> = BTreeMap::new();
        for emit in aggregate.commands.iter().flat_map(|c| &c.emits) {
            *emitters.entry(&emit.event.name).or_default() += 1;
        }
        let event_fn = |command: &Command, emit: &Emit| {
            let event = &emit.event.name;
            if emitters.get(event.as_str()).is_some_and(|count| *count > 1) {
                format!("{}_by_{}", snake(event), snake(&command.name))
            } else {
                snake(event)
            }
        };
        let mut events = Vec::new();
        for command in &aggregate.commands {
            for emit in &command.emits {
                events.push(examples.event(aggregate, command, emit, event_fn(command, emit)));
            }
        }

        let mut cases = Vec::new();
        let mut named: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut decisions = DecisionCases::default();
        for command in aggregate.commands.iter().filter(|c| c.is_decision()) {
            decisions.add(&mut examples, aggregate, all, command, &event_fn);
        }
        for command in aggregate.commands.iter().filter(|c| !c.is_decision()) {
            for scenario in succeeding(aggregate, command)
                .into_iter()
                .chain(refusals(aggregate, command))
            {
                let mut case = test_case(aggregate, &scenario, &event_fn);
                // Two guards of one kind on one field (`not_equals: Paid`, `not_equals:
                // Cancelled`) would name their tests alike: the later ones are numbered.
                let seen = named.entry(case.name.clone()).or_insert(0);
                *seen += 1;
                if *seen > 1 {
                    case.name = format!("{}_{seen}", case.name);
                }
                cases.push(case);
            }
        }

        let mut imports = Imports::default();
        imports.add_example(&aggregate.id.ty);
        for field in aggregate.commands.iter().flat_map(|c| &c.fields) {
            imports.add_example(&field.ty);
        }
        // Event fields drawn from a state are written from its values, of the state's types.
        let from_state = aggregate
            .commands
            .iter()
            .flat_map(Command::all_emits)
            .flat_map(|emit| &emit.fields)
            .filter_map(|fed| match &fed.source {
                Source::State(field) | Source::Consulted { field, .. } => Some(field),
                _ => None,
            });
        for field in from_state {
            imports.add_model_types(&field.ty);
        }
        let mut crate_uses = vec![format!("use {crate_name}::{}::*;", snake(&aggregate.name))];
        crate_uses.extend(
            decisions
                .modules
                .iter()
                .map(|module| format!("use {crate_name}::{module};")),
        );
        crate_uses.extend(use_line(
            &format!("{crate_name}::types"),
            &imports.model_types(),
        ));
        if aggregate
            .commands
            .iter()
            .any(|c| !c.is_decision() && c.reads_clock())
        {
            crate_uses.push(format!("use {crate_name}::services::Services;"));
        }
        crate_uses.sort();
        let mut testing = Vec::new();
        if !cases.is_empty() {
            testing.push("given".to_owned());
        }
        if !decisions.cases.is_empty() {
            testing.push("given_aggregates".to_owned());
        }
        let mut runtime_uses: Vec<String> = use_line("eventwright::testing", &testing)
            .into_iter()
            .collect();
        if decisions.names_errors {
            runtime_uses.push("use eventwright::DispatchError;".to_owned());
        }
        runtime_uses.sort();
        events.extend(decisions.events);
        cases.extend(decisions.cases);
        Self {
            runtime_uses,
            uses: imports.external_lines(),
            crate_uses,
            consts: examples.consts.into_values().collect(),
            reads_clock: examples.reads_clock
                || aggregate.commands.iter().any(Command::reads_clock),
            now: TEST_NOW,
            commands,
            events,
            cases,
        }
    }
}

fn test_case(
    aggregate: &Aggregate,
    scenario: &Scenario<'_>,
    event_fn: &dyn Fn(&Command, &Emit) -> String,
) -> TestCase {
    let command = scenario.command;
    let history: Vec<String> = scenario
        .history
        .iter()
        .flat_map(|earlier| {
            earlier
                .emits
                .iter()
                .map(move |emit| format!("{}()", event_fn(earlier, emit)))
        })
        .collect();
    let mut statements = Vec::new();
    let inline = layout::array("[", &history, 4, 0);
    let head = if inline.contains('\n') {
        statements.push(format!(
            "let history = {};",
            layout::array("[", &history, 4, 14)
        ));
        format!("given::<{}>(history)", aggregate.name)
    } else {
        format!("given::<{}>({inline})", aggregate.name)
    };
    let when = format!(".when({}())", snake(&command.name));
    let then = match scenario.refused_by {
        None => {
            let expected: Vec<String> = command
                .emits
                .iter()
                .map(|emit| format!("{}()", event_fn(command, emit)))
                .collect();
            format!(
                ".then_expect_events({})",
                layout::array("[", &expected, 8, 20)
            )
        }
        Some(guard) => expect_refusal(guard),
    };
    let mut calls = Vec::new();
    if command.reads_clock() {
        // A frozen clock: the events' times and ids are known in advance; a time guard may
        // refuse only once time has passed since the history.
        calls.push(".with_services(Services::default())".to_owned());
        calls.push(format!(
            ".at({})",
            shifted("now()".into(), &scenario.later, false)
        ));
    }
    calls.extend([when, then]);
    statements.push(layout::chain(&head, &calls, 4, ";"));
    let name = match scenario.refused_by {
        None => format!(
            "{}_records_{}",
            snake(&command.name),
            command
                .emits
                .iter()
                .map(|emit| snake(&emit.event.name))
                .collect::<Vec<_>>()
                .join("_and_")
        ),
        Some(guard) => format!(
            "{}_is_refused_unless_{}_{}",
            snake(&command.name),
            guard.field.name,
            condition_slug(&guard.condition)
        ),
    };
    TestCase { name, statements }
}
