//! Commands: their fields, guards, and the events they emit with where each field comes from.

use std::sync::Arc;

use serde_saphyr::Spanned;

use super::ctx::Ctx;
use super::dependencies;
use super::guards;
use super::names;
use super::personal;
use super::roles;
use super::types::{self, Rules};
use super::values::{self, ServerValues};
use crate::model::ast::{self, Pos};
use crate::model::ir::{self, Field, FieldSource, Source, Type};

pub(super) fn command(
    ctx: &mut Ctx,
    aggregate: &Spanned<String>,
    name: &Spanned<String>,
    ast: &ast::Command,
    own: &ir::Aggregate,
    all: &[ir::Aggregate],
    facts: &[Arc<ir::Fact>],
) -> ir::Command {
    let id = &own.id;
    let fields = types::fields(ctx, &ast.fields, Rules::Allowed, Some(&id.name));
    let guards = ast
        .guards
        .iter()
        .filter_map(|g| guards::guard(ctx, g, &own.state, &name.value, &fields))
        .collect();
    let on = values::Command {
        name: &name.value,
        fields: &fields,
        state: &own.state,
        creates: ast.creates.unwrap_or(false),
        consulted: ast
            .depends_on
            .iter()
            .map(|(name, read)| (name.value.as_str(), consulted(read, all)))
            .collect(),
        personal: personal::personal_state(&own.events),
    };
    let values = ServerValues::parse(ctx, &ast.values, on);
    let emits = match &ast.emits {
        None => {
            ctx.error(
                Pos::of(name),
                format!("command `{}` has no `emits`", name.value),
                "missing `emits`",
                Some("add `emits: [SomeEvent]` with the events it records".into()),
            );
            Vec::new()
        }
        Some(list) => {
            let on = Emitting {
                command: &name.value,
                aggregate: &aggregate.value,
                events: &own.events,
                fields: &fields,
                id,
                target_id: None,
                values: &values,
            };
            let emits = emits(ctx, &on, list);
            if list.value.is_empty() {
                ctx.error(
                    Pos::of(list),
                    format!("command `{}` emits no event", name.value),
                    "empty list",
                    Some("a command records at least one event on its own aggregate".into()),
                );
            }
            emits
        }
    };
    let read = dependencies::Readable {
        own,
        all,
        facts,
        values: &values,
    };
    let (depends_on, facts) =
        dependencies::dependencies(ctx, name, &ast.depends_on, &read, &fields);
    values.report_unused(ctx, &name.value);
    let served = values.served();
    ir::Command {
        name: name.value.clone(),
        creates: ast.creates.unwrap_or(false),
        fields,
        guards,
        emits,
        depends_on,
        facts,
        served,
        roles: roles::roles(ctx, ast.roles.as_ref(), &name.value),
    }
}

/// What `values` may read of a dependency, before `depends_on` is checked (which reports what
/// is wrong with it).
fn consulted<'a>(read: &ast::Dependency, all: &'a [ir::Aggregate]) -> values::Consulted<'a> {
    if read.fact.is_some() {
        return values::Consulted::Fact;
    }
    if read.exists.as_ref().is_some_and(|exists| !exists.value) {
        return values::Consulted::Absent;
    }
    let named = read.aggregate.as_ref();
    match named.and_then(|name| all.iter().find(|a| a.name == name.value)) {
        Some(aggregate) => values::Consulted::State(
            &aggregate.state,
            &aggregate.name,
            personal::personal_state(&aggregate.events),
        ),
        None => values::Consulted::Unknown,
    }
}

/// Where a command records events: the aggregate, its events, and what feeds their fields.
pub(super) struct Emitting<'a> {
    pub command: &'a str,
    pub aggregate: &'a str,
    pub events: &'a [Arc<ir::Event>],
    /// The command's fields.
    pub fields: &'a [Field],
    /// The id of the command's own aggregate.
    pub id: &'a Field,
    /// For events on another aggregate: the name of its id, and the command's field holding it.
    pub target_id: Option<(&'a str, &'a Field)>,
    /// The fields the server fills, by `values`.
    pub values: &'a ServerValues<'a>,
}

/// The events `list` names, each an event of `on.aggregate`, with where each field comes from.
pub(super) fn emits(
    ctx: &mut Ctx,
    on: &Emitting,
    list: &Spanned<Vec<Spanned<String>>>,
) -> Vec<ir::Emit> {
    let mut emits = Vec::new();
    for emitted in &list.value {
        let Some(event) = on.events.iter().find(|e| e.name == emitted.value) else {
            let hint =
                names::did_you_mean(&emitted.value, on.events.iter().map(|e| e.name.as_str()))
                    .or_else(|| Some(format!("declare it under `events:` of `{}`", on.aggregate)));
            ctx.error(
                Pos::of(emitted),
                format!(
                    "command `{}` emits `{}`, which aggregate `{}` does not declare",
                    on.command, emitted.value, on.aggregate
                ),
                "unknown event",
                hint,
            );
            continue;
        };
        emits.push(ir::Emit {
            event: Arc::clone(event),
            fields: field_sources(ctx, emitted, event, on),
        });
    }
    emits
}

/// Where each field of an emitted event comes from: what `values` says, else the same-named
/// command field, else the aggregate id. The one place this is decided; renderers read the
/// result. A field that nothing feeds is reported and left out.
fn field_sources(
    ctx: &mut Ctx,
    at: &Spanned<String>,
    event: &ir::Event,
    on: &Emitting,
) -> Vec<FieldSource> {
    let (command, fields, id) = (on.command, on.fields, on.id);
    let mut sources = Vec::new();
    for needed in &event.fields {
        if let Some(served) = on.values.source(ctx, needed, event) {
            sources.extend(served);
            continue;
        }
        // On another aggregate, a field named like its id holds its id (a transfer's
        // `Credited.account_id` is the recipient's), not the command's own.
        let target_id = on
            .target_id
            .filter(|(name, _)| *name == needed.name)
            .map(|(_, field)| field);
        let by_name = || fields.iter().find(|f| f.name == needed.name);
        let (source, from, what) = match target_id.or_else(by_name) {
            Some(f) => (Source::CommandField(f.clone()), f, "in the command"),
            None if needed.name == id.name => (Source::AggregateId, id, "as the aggregate id"),
            None if ctx.reported(&needed.name) => continue,
            None => {
                ctx.error(
                    Pos::of(at),
                    format!(
                        "event `{}` needs field `{}`, which command `{command}` does not have",
                        event.name, needed.name
                    ),
                    "a field is missing",
                    Some(format!(
                        "add `{}: {}` to the fields of `{command}`",
                        needed.name, needed.ty
                    )),
                );
                continue;
            }
        };
        let wrap_some = needed.ty == Type::Optional(Box::new(from.ty.clone()));
        if from.ty != needed.ty && !wrap_some {
            ctx.error(
                Pos::of(at),
                format!(
                    "event `{}` needs field `{}`, which is `{}` {what} but `{}` in the event",
                    event.name, needed.name, from.ty, needed.ty
                ),
                "a field has another type",
                Some(format!(
                    "give `{}` the same type in `{command}` and `{}`",
                    needed.name, event.name
                )),
            );
            continue;
        }
        sources.push(FieldSource {
            field: needed.clone(),
            source,
            wrap_some,
        });
    }
    sources
}
