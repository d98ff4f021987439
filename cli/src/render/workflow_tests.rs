//! `tests/workflows.rs`: each workflow given each event it reacts to, and, for a process with
//! timers, time passing, through the test kit; each test checks the commands sent, in order.
//! Written once: the file is the user's, to grow with cases of their own.

use serde_json::Value;

use super::examples::example;
use super::imports::{Imports, use_line};
use super::layout;
use super::names::snake;
use super::scenario::TEST_NOW;
use crate::model::ir::{Field, Model, OnEvent, Reaction, When, Workflow};

pub(super) fn render(model: &Model, crate_name: &str) -> String {
    let mut imports = Imports::default();
    let mut crate_items: Vec<(String, String)> = Vec::new();
    let mut tests = Vec::new();
    let mut kit = Vec::new();
    for workflow in &model.workflows {
        crate_items.push(("workflows".to_owned(), workflow.name.clone()));
        let given = if workflow.process.is_some() {
            "given_process"
        } else {
            "given_policy"
        };
        if !kit.contains(&given) {
            kit.push(given);
        }
        let start = workflow.on.iter().find(|on| on.starts);
        let correlation = start.map(correlation_of);
        for on in &workflow.on {
            let mut lines = vec![format!("let then = {given}({})", workflow.name)];
            lines.push(format!("    .at({TEST_NOW:?}.parse().expect(\"a time\"))"));
            if let Some(start) = start.filter(|start| !std::ptr::eq(*start, on)) {
                lines.push(format!(
                    "    {}",
                    event_call(
                        "event",
                        start,
                        correlation.as_ref(),
                        &mut imports,
                        &mut crate_items
                    )
                ));
            }
            lines.push(format!(
                "    {};",
                event_call(
                    "when",
                    on,
                    correlation.as_ref(),
                    &mut imports,
                    &mut crate_items
                )
            ));
            let sent = on
                .reaction
                .send
                .iter()
                .map(|send| send.command.clone())
                .collect();
            let name = format!("{}_on_{}", snake(&workflow.name), snake(&on.event.name));
            tests.push(test(&name, lines, sent));
        }
        if let (Some(start), false) = (start, workflow.timers.is_empty()) {
            let (horizon, sent) = fired(workflow, &start.reaction);
            if !sent.is_empty() {
                let lines = vec![
                    format!("let then = {given}({})", workflow.name),
                    format!("    .at({TEST_NOW:?}.parse().expect(\"a time\"))"),
                    format!(
                        "    {}",
                        event_call(
                            "event",
                            start,
                            correlation.as_ref(),
                            &mut imports,
                            &mut crate_items
                        )
                    ),
                    format!("    .when_time_passes(chrono::Duration::seconds({horizon}));"),
                ];
                tests.push(test(
                    &format!("{}_timers_fire", snake(&workflow.name)),
                    lines,
                    sent,
                ));
            }
        }
    }
    let mut out = String::from(
        "//! Each workflow given each event it reacts to, and time passing, with the test kit: no\n\
         //! store, a frozen clock. This file is yours: written once, never overwritten.\n\n",
    );
    kit.sort();
    let mut externals = imports.external_lines();
    externals.push(format!(
        "use eventwright::testing::{{{}}};",
        kit.iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    externals.sort();
    let mut crate_lines = Vec::new();
    crate_items.sort();
    crate_items.dedup();
    let mut modules: Vec<&str> = crate_items.iter().map(|(m, _)| m.as_str()).collect();
    modules.dedup();
    for module in modules {
        let items: Vec<String> = crate_items
            .iter()
            .filter(|(m, _)| m == module)
            .map(|(_, item)| item.clone())
            .collect();
        crate_lines.extend(use_line(&format!("{crate_name}::{module}"), &items));
    }
    let types = imports.model_types();
    crate_lines.extend(use_line(&format!("{crate_name}::types"), &types));
    crate_lines.sort();
    let mut uses: Vec<String> = externals;
    uses.extend(crate_lines);
    uses.sort();
    for line in uses {
        out.push_str(&line);
        out.push('\n');
    }
    for test in tests {
        out.push('\n');
        out.push_str(&test);
    }
    out
}

/// The correlation a process's first event starts: its aggregate's id, or the field it names.
fn correlation_of(start: &OnEvent) -> Field {
    start.correlate.clone().unwrap_or_else(|| start.id.clone())
}

/// `.event::<A>("id", Event { .. })` or `.when::<A>(..)`, every event of one process naming
/// the same `correlation`.
fn event_call(
    method: &str,
    on: &OnEvent,
    correlation: Option<&Field>,
    imports: &mut Imports,
    crate_items: &mut Vec<(String, String)>,
) -> String {
    let module = snake(&on.aggregate);
    crate_items.push((module.clone(), on.aggregate.clone()));
    crate_items.push((module, on.event.name.clone()));
    let id = match (&on.correlate, correlation) {
        (None, Some(correlation)) => text(&example(correlation).json),
        _ => text(&example(&on.id).json),
    };
    let fields: Vec<(String, String)> = on
        .event
        .fields
        .iter()
        .map(|field| {
            imports.add_example(&field.ty);
            let value = match (&on.correlate, correlation) {
                (Some(by), Some(correlation)) if by.name == field.name => {
                    example(&Field {
                        ty: field.ty.clone(),
                        ..correlation.clone()
                    })
                    .rust
                }
                _ => example(field).rust,
            };
            (field.name.clone(), value)
        })
        .collect();
    // A link of the kit's chain, at indent 8: its arguments one per line at 12 unless the call
    // fits on its line.
    let callee = format!(".{method}::<{}>", on.aggregate);
    let literal = layout::struct_literal(&on.event.name, &fields, 12, 0);
    let args = [format!("{id:?}"), literal];
    if args[1].contains('\n') {
        return format!(
            "{callee}(\n            {},\n            {},\n        )",
            args[0], args[1]
        );
    }
    layout::call(&callee, &args, 8, "")
}

/// A path segment's text: a string as it is, anything else as JSON.
fn text(json: &Value) -> String {
    match json {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The timers `start` sets, fired in order of when they are due (by name when due together),
/// as the kit fires them: how many seconds after `TEST_NOW` the last is due, and the commands
/// they send until one finishes the process.
fn fired(workflow: &Workflow, start: &Reaction) -> (i64, Vec<String>) {
    let now = TEST_NOW
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap_or_default();
    let example_time = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default();
    let mut pending: Vec<(chrono::DateTime<chrono::Utc>, &str)> = start
        .schedule
        .iter()
        .map(|schedule| {
            let due = match schedule.when {
                When::After(seconds) => now + chrono::Duration::seconds(seconds),
                When::At(..) => example_time,
            };
            (due, schedule.timer.as_str())
        })
        .collect();
    let horizon = pending.iter().map(|(due, _)| *due).max().unwrap_or(now);
    let mut sent = Vec::new();
    pending.sort();
    while let Some((due, name)) = (!pending.is_empty()).then(|| pending.remove(0)) {
        let Some(timer) = workflow.timers.iter().find(|t| t.name == name) else {
            continue;
        };
        sent.extend(timer.reaction.send.iter().map(|send| send.command.clone()));
        if timer.reaction.finish {
            break;
        }
        pending.retain(|(_, pending)| !timer.reaction.cancel.iter().any(|c| c == pending));
        for schedule in &timer.reaction.schedule {
            if let When::After(seconds) = schedule.when {
                let again = due + chrono::Duration::seconds(seconds);
                if again <= horizon {
                    pending.push((again, schedule.timer.as_str()));
                    pending.sort();
                }
            }
        }
    }
    ((horizon - now).num_seconds().max(0) + 1, sent)
}

/// One test: the kit's run, then the names of the commands it sent.
fn test(name: &str, lines: Vec<String>, sent: Vec<String>) -> String {
    // A command's `NAME`, as `#[derive(Command)]` names it.
    let names: Vec<String> = sent
        .iter()
        .map(|name| format!("{:?}", snake(name)))
        .collect();
    let check = if names.is_empty() {
        "assert_eq!(then.sent().count(), 0);".to_owned()
    } else {
        let array = layout::array("[", &names, 4, "assert_eq!(sent, ".len() + 4);
        format!(
            "let sent: Vec<&str> = then.sent().map(|command| command.name()).collect();\n    \
             assert_eq!(sent, {array});"
        )
    };
    format!(
        "#[test]\nfn {name}() {{\n    {}\n    {check}\n}}\n",
        lines.join("\n    ")
    )
}
