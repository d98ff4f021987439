//! Aggregates: the id, the state, events and how they apply, commands with guards and emits.

use std::sync::Arc;

use heck::ToSnakeCase;
use serde_saphyr::Spanned;

use super::changes::{self, Scope};
use super::types::{self, Rules, is_numeric, literal, show_literal};
use super::{Ctx, names};
use crate::model::ast::{self, Pos, Scalar};
use crate::model::ir::{self, Condition, Field, FieldSource, Operand, Persistence, Source, Type};

pub(super) fn aggregate(
    ctx: &mut Ctx,
    name: &Spanned<String>,
    ast: &ast::Aggregate,
) -> ir::Aggregate {
    let id_type = match &ast.id_type {
        None => Type::Uuid,
        Some(t) => match t.value.as_str() {
            "uuid" => Type::Uuid,
            "string" => Type::String,
            "int" => Type::Int,
            other => {
                let hint = names::did_you_mean(other, ["uuid", "string", "int"])
                    .unwrap_or_else(|| "an id is `uuid`, `string` or `int`".into());
                ctx.error(
                    Pos::of(t),
                    format!("`{other}` cannot be an id type"),
                    "not an id type",
                    Some(hint),
                );
                Type::Uuid
            }
        },
    };
    let id_name = match &ast.id {
        Some(id) => {
            names::snake(ctx, id, "field");
            id.value.clone()
        }
        None => {
            let suggested = format!("{}_id", name.value.to_snake_case());
            ctx.error(
                Pos::of(name),
                format!("aggregate `{}` has no `id`", name.value),
                "missing `id`",
                Some(format!(
                    "add `id: {suggested}`, the field that identifies each {}",
                    name.value
                )),
            );
            suggested
        }
    };
    let id = Field {
        name: id_name,
        ty: id_type,
        rules: ir::Rules::default(),
    };

    let state = match &ast.state {
        Some(state) => types::fields(ctx, state, Rules::Forbidden, Some(&id.name)),
        None => {
            ctx.error(
                Pos::of(name),
                format!("aggregate `{}` has no `state`", name.value),
                "missing `state`",
                Some("add `state:` with the fields its commands check and its events change (`state: {}` if none)".into()),
            );
            Vec::new()
        }
    };

    let persistence = persistence(ctx, ast.persistence.as_ref());
    let events: Vec<Arc<ir::Event>> = ast
        .events
        .iter()
        .map(|(event, e)| Arc::new(self::event(ctx, name, event, e, &state)))
        .collect();
    let commands = ast
        .commands
        .iter()
        .map(|(command, c)| self::command(ctx, name, command, c, &id, &state, &events))
        .collect();
    ir::Aggregate {
        name: name.value.clone(),
        id,
        state,
        persistence,
        commands,
        events,
    }
}

fn persistence(ctx: &mut Ctx, written: Option<&Spanned<String>>) -> Persistence {
    let Some(written) = written else {
        return Persistence::default();
    };
    let names = Persistence::NAMES.iter().map(|(name, _)| *name);
    if let Some((_, persistence)) = Persistence::NAMES
        .iter()
        .find(|(name, _)| *name == written.value)
    {
        return *persistence;
    }
    let hint = names::did_you_mean(&written.value, names).unwrap_or_else(|| {
        "`event_sourced` rebuilds the aggregate from its events (the default); `state_stored` \
         keeps its current state in a row written with its events"
            .into()
    });
    ctx.error(
        Pos::of(written),
        format!("`{}` is not a persistence", written.value),
        "unknown persistence",
        Some(hint),
    );
    Persistence::default()
}

fn event(
    ctx: &mut Ctx,
    aggregate: &Spanned<String>,
    name: &Spanned<String>,
    ast: &ast::Event,
    state: &[Field],
) -> ir::Event {
    let version = match &ast.version {
        None => 1,
        Some(v) => match u32::try_from(v.value) {
            Ok(version) if version >= 1 => version,
            _ => {
                ctx.error(
                    Pos::of(v),
                    format!("event version {} is out of range", v.value),
                    "not a version",
                    Some("versions start at 1".into()),
                );
                1
            }
        },
    };
    let fields = types::fields(ctx, &ast.fields, Rules::Forbidden, None);
    let scope = Scope {
        target_owner: format!("the state of `{}`", aggregate.value),
        targets: state,
        event: &name.value,
        sources: &fields,
        key: None,
    };
    let apply = changes::changes(ctx, &ast.apply, &scope);
    if let Some(delete) = &ast.apply.delete {
        ctx.error(
            Pos::of(delete),
            "`delete` belongs in projection handlers",
            "not allowed in `apply`",
            Some("an aggregate is never deleted; record it in a state field, like a status".into()),
        );
    }
    if let Some(key) = &ast.apply.key {
        ctx.error(
            Pos::of(key),
            "`key` belongs in projection handlers",
            "not allowed in `apply`",
            Some("an event always applies to its own aggregate".into()),
        );
    }
    ir::Event {
        name: name.value.clone(),
        version,
        fields,
        apply,
    }
}

fn command(
    ctx: &mut Ctx,
    aggregate: &Spanned<String>,
    name: &Spanned<String>,
    ast: &ast::Command,
    id: &Field,
    state: &[Field],
    events: &[Arc<ir::Event>],
) -> ir::Command {
    let fields = types::fields(ctx, &ast.fields, Rules::Allowed, Some(&id.name));
    let guards = ast
        .guards
        .iter()
        .filter_map(|g| guard(ctx, g, state, &name.value, &fields))
        .collect();
    let mut emits = Vec::new();
    match &ast.emits {
        None => ctx.error(
            Pos::of(name),
            format!("command `{}` has no `emits`", name.value),
            "missing `emits`",
            Some("add `emits: [SomeEvent]` with the events it records".into()),
        ),
        Some(list) if list.value.is_empty() => ctx.error(
            Pos::of(list),
            format!("command `{}` emits no event", name.value),
            "empty list",
            Some("a command records at least one event".into()),
        ),
        Some(list) => {
            for emitted in &list.value {
                let Some(event) = events.iter().find(|e| e.name == emitted.value) else {
                    let hint =
                        names::did_you_mean(&emitted.value, events.iter().map(|e| e.name.as_str()))
                            .or_else(|| {
                                Some(format!(
                                    "declare it under `events:` of `{}`",
                                    aggregate.value
                                ))
                            });
                    ctx.error(
                        Pos::of(emitted),
                        format!(
                            "command `{}` emits `{}`, which aggregate `{}` does not declare",
                            name.value, emitted.value, aggregate.value
                        ),
                        "unknown event",
                        hint,
                    );
                    continue;
                };
                emits.push(ir::Emit {
                    event: Arc::clone(event),
                    fields: field_sources(ctx, emitted, event, &name.value, &fields, id),
                });
            }
        }
    }
    ir::Command {
        name: name.value.clone(),
        creates: ast.creates.unwrap_or(false),
        fields,
        guards,
        emits,
    }
}

/// Where each field of an emitted event comes from: the same-named command field, else the
/// aggregate id. The one place this is decided; renderers read the result. A field that
/// nothing feeds is reported and left out.
fn field_sources(
    ctx: &mut Ctx,
    at: &Spanned<String>,
    event: &ir::Event,
    command: &str,
    fields: &[Field],
    id: &Field,
) -> Vec<FieldSource> {
    let mut sources = Vec::new();
    for needed in &event.fields {
        let (source, from, what) = match fields.iter().find(|f| f.name == needed.name) {
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

const CONDITIONS: &str = "equals, not_equals, one_of, not_empty, at_least or at_most";

fn guard(
    ctx: &mut Ctx,
    guard: &Spanned<ast::Guard>,
    state: &[Field],
    command: &str,
    fields: &[Field],
) -> Option<ir::Guard> {
    let ast = &guard.value;
    let Some(field_name) = &ast.field else {
        ctx.error(
            Pos::of(guard),
            "a guard needs a `field`",
            "missing `field`",
            Some("name the state field it checks, like `field: status`".into()),
        );
        return None;
    };
    let field = state.iter().find(|f| f.name == field_name.value);
    let Some(field) = field else {
        if ctx.reported(&field_name.value) {
            return None;
        }
        let hint = names::did_you_mean(&field_name.value, state.iter().map(|f| f.name.as_str()));
        ctx.error(
            Pos::of(field_name),
            format!("guard on unknown state field `{}`", field_name.value),
            "not a state field",
            hint,
        );
        return None;
    };

    let mut given: Vec<Pos> = Vec::new();
    given.extend(ast.equals.as_ref().map(Pos::of));
    given.extend(ast.not_equals.as_ref().map(Pos::of));
    given.extend(
        ast.one_of
            .as_ref()
            .map(|list| list.first().map_or(Pos::of(field_name), Pos::of)),
    );
    given.extend(ast.not_empty.as_ref().map(Pos::of));
    given.extend(ast.at_least.as_ref().map(Pos::of));
    given.extend(ast.at_most.as_ref().map(Pos::of));
    given.sort_by_key(|p| (p.line, p.column));
    if given.is_empty() {
        ctx.error(
            Pos::of(field_name),
            format!("the guard on `{}` has no condition", field.name),
            "no condition",
            Some(format!("add one of {CONDITIONS}")),
        );
        return None;
    }
    if given.len() > 1 {
        ctx.error(
            given[1],
            "a guard takes exactly one condition",
            "second condition",
            Some("split it into two guards".into()),
        );
        return None;
    }

    let f = &field.name;
    let condition = if let Some(value) = &ast.equals {
        Condition::Equals(literal(ctx, value, &field.ty, f)?)
    } else if let Some(value) = &ast.not_equals {
        Condition::NotEquals(literal(ctx, value, &field.ty, f)?)
    } else if let Some(values) = &ast.one_of {
        if values.is_empty() {
            ctx.error(
                Pos::of(field_name),
                "`one_of` lists no values",
                "empty `one_of`",
                None,
            );
            return None;
        }
        let literals: Vec<_> = values
            .iter()
            .map(|v| literal(ctx, v, &field.ty, f))
            .collect();
        Condition::OneOf(literals.into_iter().collect::<Option<_>>()?)
    } else if let Some(flag) = &ast.not_empty {
        let base = match &field.ty {
            Type::Optional(inner) => inner.as_ref(),
            other => other,
        };
        if !matches!(base, Type::String | Type::List(_)) {
            ctx.error(
                Pos::of(flag),
                format!(
                    "`not_empty` needs a string or list, but `{f}` is `{}`",
                    field.ty
                ),
                "not a string or list",
                None,
            );
            return None;
        }
        if !flag.value {
            ctx.error(
                Pos::of(flag),
                "`not_empty: false` checks nothing",
                "always passes",
                Some("remove the guard, or write `not_empty: true`".into()),
            );
            return None;
        }
        Condition::NotEmpty
    } else {
        let (at_least, bound) = match (&ast.at_least, &ast.at_most) {
            (Some(b), _) => (true, b),
            (None, Some(b)) => (false, b),
            (None, None) => unreachable!("one condition is given"),
        };
        if !is_numeric(&field.ty) {
            let key = if at_least { "at_least" } else { "at_most" };
            ctx.error(
                Pos::of(bound),
                format!(
                    "`{key}` needs an int, float or decimal, but `{f}` is `{}`",
                    field.ty
                ),
                "not a number",
                None,
            );
            return None;
        }
        let operand = guard_operand(ctx, bound, field, command, fields)?;
        if at_least {
            Condition::AtLeast(operand)
        } else {
            Condition::AtMost(operand)
        }
    };
    let message = ast
        .message
        .clone()
        .unwrap_or_else(|| default_message(f, &condition));
    Some(ir::Guard {
        field: field.clone(),
        condition,
        message,
    })
}

/// A number, or a field of this command with the state field's type.
fn guard_operand(
    ctx: &mut Ctx,
    bound: &Spanned<Scalar>,
    field: &Field,
    command: &str,
    fields: &[Field],
) -> Option<Operand> {
    let Scalar::Str(name) = &bound.value else {
        return literal(ctx, bound, &field.ty, &field.name).map(Operand::Literal);
    };
    let Some(source) = fields.iter().find(|c| &c.name == name) else {
        if ctx.reported(name) {
            return None;
        }
        let hint = names::did_you_mean(name, fields.iter().map(|c| c.name.as_str()))
            .or_else(|| Some("compare with a number or a field of the command".into()));
        ctx.error(
            Pos::of(bound),
            format!("command `{command}` has no field `{name}`"),
            "not a command field",
            hint,
        );
        return None;
    };
    if source.ty != field.ty {
        ctx.error(
            Pos::of(bound),
            format!(
                "`{name}` is `{}` in the command but `{}` is `{}`",
                source.ty, field.name, field.ty
            ),
            format!("expected `{}`", field.ty),
            None,
        );
        return None;
    }
    Some(Operand::Field(source.clone()))
}

fn default_message(field: &str, condition: &Condition) -> String {
    let operand = |o: &Operand| match o {
        Operand::Literal(l) => show_literal(l),
        Operand::Field(f) => f.name.clone(),
    };
    match condition {
        Condition::Equals(l) => format!("{field} must be {}", show_literal(l)),
        Condition::NotEquals(l) => format!("{field} must not be {}", show_literal(l)),
        Condition::OneOf(ls) => format!(
            "{field} must be one of {}",
            ls.iter().map(show_literal).collect::<Vec<_>>().join(", ")
        ),
        Condition::NotEmpty => format!("{field} must not be empty"),
        Condition::AtLeast(o) => format!("{field} must be at least {}", operand(o)),
        Condition::AtMost(o) => format!("{field} must be at most {}", operand(o)),
    }
}
