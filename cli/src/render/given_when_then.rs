//! `tests/<aggregate>.rs`: the generated project's given/when/then tests, one per command that
//! succeeds and one per guard that refuses it, on example values.

use std::collections::BTreeMap;

use askama::Template;

use super::examples::example;
use super::imports::{Imports, use_line};
use super::layout;
use super::names::{shouty, snake};
use super::rust::some_if;
use super::scenario::{Scenario, refusals, succeeding};
use crate::model::ir::{Aggregate, Command, Condition, Emit, Field, Type};

/// A function returning an example value: `fn place_order() -> PlaceOrder { ... }`.
struct ExampleFn {
    name: String,
    ty: String,
    /// The body expression, laid out at an indent of 4.
    body: String,
}

/// A generated given/when/then test: its name and its laid-out statements.
struct TestCase {
    name: String,
    statements: Vec<String>,
}

#[derive(Template)]
#[template(path = "tests/aggregate.rs")]
pub struct AggregateTest {
    uses: Vec<String>,
    crate_uses: Vec<String>,
    consts: Vec<String>,
    commands: Vec<ExampleFn>,
    events: Vec<ExampleFn>,
    cases: Vec<TestCase>,
}

/// Example values as Rust, with uuids named once as constants.
#[derive(Default)]
struct Examples {
    consts: BTreeMap<String, String>,
}

impl Examples {
    /// `field`'s example laid out for a line starting at `indent`, after `prefix` columns.
    fn value(
        &mut self,
        name: &str,
        ty: &Type,
        field: &Field,
        indent: usize,
        prefix: usize,
    ) -> String {
        match ty {
            Type::Uuid => {
                let constant = shouty(name);
                let value = example(&Field {
                    ty: Type::Uuid,
                    ..field.clone()
                })
                .rust;
                self.consts.insert(
                    constant.clone(),
                    format!("const {constant}: Uuid = {value};"),
                );
                constant
            }
            Type::Value(def) => {
                let fields: Vec<(String, String)> = def
                    .fields
                    .iter()
                    .map(|inner| {
                        (
                            inner.name.clone(),
                            self.value(
                                &inner.name,
                                &inner.ty,
                                inner,
                                indent + 4,
                                inner.name.len() + 2,
                            ),
                        )
                    })
                    .collect();
                layout::struct_literal(&def.name, &fields, indent, prefix)
            }
            Type::List(inner) => {
                let count = field.rules.min_length.unwrap_or(1).max(1) as usize;
                let element = self.value(name, inner, field, indent + 4, 0);
                layout::array("vec![", &vec![element; count], indent, prefix)
            }
            Type::Optional(inner) => format!(
                "Some({})",
                self.value(name, inner, field, indent, prefix + 5)
            ),
            _ => {
                example(&Field {
                    ty: ty.clone(),
                    ..field.clone()
                })
                .rust
            }
        }
    }

    fn command(&mut self, aggregate: &Aggregate, command: &Command) -> ExampleFn {
        let mut fields = vec![(
            aggregate.id.name.clone(),
            self.value(&aggregate.id.name, &aggregate.id.ty, &aggregate.id, 8, 0),
        )];
        for field in &command.fields {
            let value = self.value(&field.name, &field.ty, field, 8, field.name.len() + 2);
            fields.push((field.name.clone(), value));
        }
        ExampleFn {
            name: snake(&command.name),
            ty: command.name.clone(),
            body: layout::struct_literal(&command.name, &fields, 4, 0),
        }
    }

    /// An event `emit` records, as the aggregate's event enum, from this file's command example.
    fn event(&mut self, aggregate: &Aggregate, emit: &Emit, fn_name: String) -> ExampleFn {
        let fields: Vec<(String, String)> = emit
            .fields
            .iter()
            .map(|fed| {
                let source = fed.read_from(&aggregate.id);
                let name = &fed.field.name;
                let value = self.value(&source.name, &source.ty, source, 8, name.len() + 2);
                (name.clone(), some_if(fed.wrap_some, value))
            })
            .collect();
        let literal = layout::struct_literal(&emit.event.name, &fields, 4, 0);
        let body = if literal.contains('\n') {
            format!("{literal}\n    .into()")
        } else {
            format!("{literal}.into()")
        };
        ExampleFn {
            name: fn_name,
            ty: format!("{}Event", aggregate.name),
            body,
        }
    }
}

impl AggregateTest {
    pub fn new(aggregate: &Aggregate, crate_name: &str) -> Self {
        let mut examples = Examples::default();
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
                events.push(examples.event(aggregate, emit, event_fn(command, emit)));
            }
        }

        let mut cases = Vec::new();
        for command in &aggregate.commands {
            for scenario in succeeding(aggregate, command)
                .into_iter()
                .chain(refusals(aggregate, command))
            {
                cases.push(test_case(aggregate, &scenario, &event_fn));
            }
        }

        let mut imports = Imports::default();
        imports.add_example(&aggregate.id.ty);
        for field in aggregate.commands.iter().flat_map(|c| &c.fields) {
            imports.add_example(&field.ty);
        }
        let mut crate_uses = vec![format!("use {crate_name}::{}::*;", snake(&aggregate.name))];
        crate_uses.extend(use_line(
            &format!("{crate_name}::types"),
            &imports.model_types(),
        ));
        crate_uses.sort();
        Self {
            uses: imports.external_lines(),
            crate_uses,
            consts: examples.consts.into_values().collect(),
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
        Some(guard) => layout::call(
            ".then_expect_refusal",
            &[format!("{:?}", guard.message)],
            8,
            "",
        ),
    };
    statements.push(layout::chain(&head, &[when, then], 4, ";"));
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

fn condition_slug(condition: &Condition) -> &'static str {
    match condition {
        Condition::Equals(_) => "matches",
        Condition::NotEquals(_) => "differs",
        Condition::OneOf(_) => "is_allowed",
        Condition::NotEmpty => "is_not_empty",
        Condition::AtLeast(_) => "is_enough",
        Condition::AtMost(_) => "is_within_limit",
    }
}
