//! A command that reads other aggregates or facts, rendered as a `Decision`: the struct marks
//! each id and tag it reads, and its `Decide` impl checks that each aggregate exists (or not),
//! the guards on each state and fact, then emits onto each aggregate.

use super::fields::FieldView;
use super::layout;
use super::names::snake;
use super::rust::{self, event_value, guard_violated_on, served};
use crate::model::ir::{Aggregate, Command, Emit, Guard};

/// The decision's fields, each id it reads marked `#[decision(reads = ..)]` and each tag of a
/// fact it reads `#[decision(fact = ..)]`.
pub(super) fn decision_fields(command: &Command) -> Vec<FieldView> {
    command
        .fields
        .iter()
        .map(|field| {
            let view = FieldView::validated(field);
            let mut args: Vec<String> = command
                .depends_on
                .iter()
                .filter(|d| d.id.name == field.name)
                .map(|d| format!("reads = {}", d.aggregate))
                .collect();
            args.extend(fact_args(command, &field.name));
            if args.is_empty() {
                view
            } else {
                view.marked(layout::attribute("decision", &args, 4))
            }
        })
        .collect()
}

/// The attribute on the decision's own aggregate id: what it reads, and the facts whose tag it
/// holds.
pub(super) fn id_attribute(aggregate: &Aggregate, command: &Command) -> String {
    let mut args = vec![format!("reads = {}", aggregate.name)];
    args.extend(fact_args(command, &aggregate.id.name));
    layout::attribute("decision", &args, 4)
}

/// `fact = ..` for each fact whose tag the field holds; `tag = ..` when the names differ, and
/// `fact(..)` each when there are several.
fn fact_args(command: &Command, field: &str) -> Vec<String> {
    let facts: Vec<(&str, Option<&str>)> = command
        .facts
        .iter()
        .flat_map(|read| {
            read.tags
                .iter()
                .filter(|(_, from)| from.name == field)
                .map(|(tag, _)| {
                    let renamed = (tag.name != field).then_some(tag.name.as_str());
                    (read.fact.name.as_str(), renamed)
                })
        })
        .collect();
    match facts.as_slice() {
        [] => Vec::new(),
        [(fact, None)] => vec![format!("fact = {fact}")],
        [(fact, Some(tag))] => vec![format!("fact = {fact}"), format!("tag = {tag}")],
        several => several
            .iter()
            .map(|(fact, tag)| match tag {
                None => format!("fact({fact})"),
                Some(tag) => format!("fact({fact}, tag = {tag})"),
            })
            .collect(),
    }
}

/// The statements of `decide`: what is read, the guards, the events emitted.
pub(super) fn decide_body(aggregate: &Aggregate, command: &Command) -> Vec<String> {
    let own = snake(&aggregate.name);
    let own_id = format!("&self.{}", aggregate.id.name);
    let mut body = Vec::new();
    if command.creates {
        body.push(format!("read.absent::<{}>({own_id})?;", aggregate.name));
        if !command.guards.is_empty() {
            body.push(format!("let {own} = {}::default();", aggregate.name));
        }
    } else {
        body.push(read_existing(
            &own,
            &aggregate.name,
            &own_id,
            !command.guards.is_empty() || command.reads_own_state(),
        ));
    }
    for dependency in &command.depends_on {
        let id = format!("&self.{}", dependency.id.name);
        body.push(if dependency.exists {
            read_existing(
                &dependency.name,
                &dependency.aggregate,
                &id,
                !dependency.guards.is_empty() || command.consults(&dependency.name),
            )
        } else {
            format!("read.absent::<{}>({id})?;", dependency.aggregate)
        });
    }
    for read in command.facts.iter().filter(|read| !read.guards.is_empty()) {
        body.push(format!(
            "let {} = read.fact::<{}>()?;",
            read.name, read.fact.name
        ));
    }
    let guards = command
        .guards
        .iter()
        .map(|guard| (own.as_str(), guard))
        .chain(
            command
                .depends_on
                .iter()
                .flat_map(|d| d.guards.iter().map(|guard| (d.name.as_str(), guard))),
        )
        .chain(
            command
                .facts
                .iter()
                .flat_map(|f| f.guards.iter().map(|guard| (f.name.as_str(), guard))),
        );
    for (state, guard) in guards {
        body.push(refusal(state, guard));
    }
    for value in &command.served {
        body.push(format!("let {} = {};", value.name, served(value, "read")));
    }
    let mut emitted = Vec::new();
    let mut bindings: Vec<String> = Vec::new();
    let targets = std::iter::once((aggregate.name.as_str(), own_id.clone(), &command.emits)).chain(
        command.depends_on.iter().map(|d| {
            (
                d.aggregate.as_str(),
                format!("&self.{}", d.id.name),
                &d.emits,
            )
        }),
    );
    for (target, id, emits) in targets {
        for emit in emits {
            let mut binding = snake(&emit.event.name);
            while bindings.contains(&binding) {
                binding.push('_');
            }
            let prefix = format!("let {binding} = ");
            body.push(format!(
                "{prefix}{};",
                layout::struct_literal(
                    &emit.event.name,
                    &event_fields(aggregate, &own, emit),
                    8,
                    prefix.len()
                )
            ));
            emitted.push(format!(".emit::<{target}>({id}, {binding})"));
            bindings.push(binding);
        }
    }
    if !emitted.is_empty() {
        body.push(layout::chain("changes", &emitted, 8, ";"));
    }
    body.push("Ok(())".to_owned());
    body
}

/// `let state = read.existing::<A>(id)?;`, or without the binding when nothing reads it.
fn read_existing(state: &str, aggregate: &str, id: &str, used: bool) -> String {
    if used {
        format!("let {state} = read.existing::<{aggregate}>({id})?;")
    } else {
        format!("read.existing::<{aggregate}>({id})?;")
    }
}

/// A guard's check; the refusal is returned through `?`, which makes it a `DispatchError`.
fn refusal(state: &str, guard: &Guard) -> String {
    let violated = guard_violated_on(guard, state, "self", "read");
    let refused = rust::refusal(guard, "Err", 12, "?;");
    format!("if {violated} {{\n            {refused}\n        }}")
}

/// Each field of an emitted event, read from the decision's field it comes from, or the
/// binding of the value the server made.
fn event_fields(aggregate: &Aggregate, own: &str, emit: &Emit) -> Vec<(String, String)> {
    emit.fields
        .iter()
        .map(|fed| {
            let value = event_value(fed, &aggregate.id, "self", own);
            (fed.field.name.clone(), value)
        })
        .collect()
}
