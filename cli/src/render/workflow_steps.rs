//! The statements of one workflow reaction: its state changes, the commands it sends, the
//! timers it sets and drops, and its end. Laid out as rustfmt would, at a given indent.

use heck::ToUpperCamelCase;

use super::layout;
use super::rust::{change_statements, literal, read, some_if};
use crate::model::ir::{Assign, Reaction, Type, Value, When, Workflow};

/// What every reaction of a workflow renders with.
pub(super) struct Names<'a> {
    /// The workflow's timers' type.
    pub timer_enum: &'a str,
    /// The type of a process's correlation.
    pub correlation: Option<&'a Type>,
}

/// The statements of `reaction`, each laid out at `indent`.
pub(super) fn statements(reaction: &Reaction, indent: usize, names: &Names) -> Vec<String> {
    let timer_enum = names.timer_enum;
    let mut lines = change_statements(&reaction.apply, "state");
    for send in &reaction.send {
        let fields: Vec<(String, String)> = std::iter::once(&send.to)
            .chain(&send.fields)
            .map(|assign| (assign.field.name.clone(), value(assign, names)))
            .collect();
        let prefix = "steps.send(".len();
        let literal = layout::struct_literal(&send.command, &fields, indent, prefix);
        lines.push(format!("steps.send({literal});"));
    }
    for schedule in &reaction.schedule {
        let variant = format!("{timer_enum}::{}", schedule.timer.to_upper_camel_case());
        let name = format!("{:?}", schedule.timer);
        let (callee, when) = match &schedule.when {
            When::After(seconds) => ("steps.schedule_in", format!("Duration::seconds({seconds})")),
            When::At(at, Type::Date) => (
                "steps.schedule_at",
                format!("{}.and_time(NaiveTime::MIN).and_utc()", source(at, names)),
            ),
            When::At(at, _) => ("steps.schedule_at", source(at, names)),
        };
        lines.push(layout::call(callee, &[name, when, variant], indent, ";"));
    }
    for timer in &reaction.cancel {
        lines.push(format!("steps.cancel({timer:?});"));
    }
    if reaction.finish {
        lines.push("steps.finish();".to_owned());
    }
    lines
}

/// The expression giving `assign`'s field its value.
fn value(assign: &Assign, names: &Names) -> String {
    match &assign.value {
        Value::Const(constant) => literal(constant, &assign.field.ty),
        Value::Nothing => "None".to_owned(),
        other => some_if(assign.wrap_some, source(other, names)),
    }
}

/// A value read where it is.
fn source(value: &Value, names: &Names) -> String {
    match value {
        Value::Event(field) => read(&format!("event.{}", field.name), &field.ty),
        Value::State(field) => read(&format!("state.{}", field.name), &field.ty),
        Value::Command(field) => read(&format!("command.{}", field.name), &field.ty),
        Value::AggregateId(ty) => read("id", ty),
        Value::Correlation => read(
            "state.correlation",
            names.correlation.unwrap_or(&Type::String),
        ),
        Value::Const(_) | Value::Nothing => String::new(),
    }
}

/// What a reaction reads: the event, its aggregate's id, the process's state.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Reads {
    pub event: bool,
    pub aggregate_id: bool,
    pub state: bool,
}

pub(super) fn reads(reaction: &Reaction) -> Reads {
    let mut reads = Reads {
        event: super::rust::uses_event(&reaction.apply),
        state: !reaction.apply.is_empty(),
        ..Reads::default()
    };
    let values = reaction
        .send
        .iter()
        .flat_map(|send| std::iter::once(&send.to).chain(&send.fields))
        .map(|assign| &assign.value)
        .chain(reaction.schedule.iter().filter_map(|s| match &s.when {
            When::At(value, _) => Some(value),
            When::After(_) => None,
        }));
    for value in values {
        match value {
            Value::Event(_) => reads.event = true,
            Value::AggregateId(_) => reads.aggregate_id = true,
            Value::State(_) | Value::Correlation => reads.state = true,
            Value::Command(_) | Value::Const(_) | Value::Nothing => {}
        }
    }
    reads
}

/// Whether any reaction of `workflow` reads the refused command's fields.
pub(super) fn reads_command(reaction: &Reaction) -> bool {
    reaction
        .send
        .iter()
        .flat_map(|send| std::iter::once(&send.to).chain(&send.fields))
        .any(|assign| matches!(assign.value, Value::Command(_)))
}

/// Whether `workflow` sets a timer after a duration, or at a date.
pub(super) fn schedules(workflow: &Workflow) -> (bool, bool) {
    let whens: Vec<&When> = workflow
        .reactions()
        .flat_map(|reaction| reaction.schedule.iter().map(|s| &s.when))
        .collect();
    (
        whens.iter().any(|when| matches!(when, When::After(_))),
        whens
            .iter()
            .any(|when| matches!(when, When::At(_, Type::Date))),
    )
}
