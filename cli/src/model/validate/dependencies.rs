//! `depends_on`: the other aggregates a command reads, each by one of its fields, with the
//! guards on their state and the events it records on them.

use heck::ToSnakeCase;
use serde_saphyr::Spanned;

use super::commands::{self, Emitting};
use super::ctx::Ctx;
use super::guards;
use super::names;
use crate::model::ast::{self, NamedMap, Pos};
use crate::model::ir::{self, Field};

pub(super) fn dependencies(
    ctx: &mut Ctx,
    command: &Spanned<String>,
    written: &NamedMap<ast::Dependency>,
    own: &ir::Aggregate,
    all: &[ir::Aggregate],
    fields: &[Field],
) -> Vec<ir::Dependency> {
    let mut resolved: Vec<ir::Dependency> = Vec::new();
    for (name, dependency) in written.iter() {
        names::snake(ctx, name, "dependency");
        // The generated decision holds its own aggregate's state under its snake_case name.
        if name.value == own.name.to_snake_case() {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` is the name the command's own {} goes by",
                    name.value, own.name
                ),
                "name taken",
                Some(format!(
                    "call it after its role, like `other_{}`",
                    name.value
                )),
            );
            continue;
        }
        let Some(found) = one(ctx, command, name, dependency, own, all, fields) else {
            continue;
        };
        let twice = resolved
            .iter()
            .find(|other| other.aggregate == found.aggregate && other.id == found.id);
        if let Some(other) = twice {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` and `{}` both read `{}` by `{}`",
                    other.name, name.value, found.aggregate, found.id.name
                ),
                "read twice",
                Some("keep one of them".into()),
            );
            continue;
        }
        resolved.push(found);
    }
    resolved
}

fn one(
    ctx: &mut Ctx,
    command: &Spanned<String>,
    name: &Spanned<String>,
    written: &ast::Dependency,
    own: &ir::Aggregate,
    all: &[ir::Aggregate],
    fields: &[Field],
) -> Option<ir::Dependency> {
    let Some(aggregate_name) = &written.aggregate else {
        ctx.error(
            Pos::of(name),
            format!("`{}` does not say which aggregate it is", name.value),
            "missing `aggregate`",
            Some("add `aggregate: Member`, the aggregate the command reads".into()),
        );
        return None;
    };
    let Some(aggregate) = all.iter().find(|a| a.name == aggregate_name.value) else {
        let hint = names::did_you_mean(&aggregate_name.value, all.iter().map(|a| a.name.as_str()))
            .or_else(|| Some("name an aggregate declared under `aggregates:`".into()));
        ctx.error(
            Pos::of(aggregate_name),
            format!("unknown aggregate `{}`", aggregate_name.value),
            "not an aggregate",
            hint,
        );
        return None;
    };
    let Some(id_name) = &written.id else {
        ctx.error(
            Pos::of(name),
            format!(
                "`{}` does not say which {} it reads",
                name.value, aggregate.name
            ),
            "missing `id`",
            Some(format!(
                "add `id: {}`, a field of `{}` holding the {} id",
                aggregate.id.name, command.value, aggregate.name
            )),
        );
        return None;
    };
    let id = if id_name.value == own.id.name {
        let (message, label) = if aggregate.name == own.name {
            (
                format!(
                    "`{}` is the id of `{}` itself, which the command reads already",
                    id_name.value, own.name
                ),
                "reads its own aggregate",
            )
        } else {
            (
                format!(
                    "`{}` is the id of `{}`, which the command is addressed to; a {} is read by \
                     a field of its own",
                    id_name.value, own.name, aggregate.name
                ),
                "the command's own id",
            )
        };
        ctx.error(
            Pos::of(id_name),
            message,
            label,
            Some(format!(
                "add a field to `{}` holding the {} id, and name it here",
                command.value, aggregate.name
            )),
        );
        return None;
    } else if let Some(field) = fields.iter().find(|f| f.name == id_name.value) {
        field
    } else {
        if !ctx.reported(&id_name.value) {
            ctx.error(
                Pos::of(id_name),
                format!(
                    "command `{}` has no field `{}`",
                    command.value, id_name.value
                ),
                "not a field of the command",
                Some(format!(
                    "add `{}: {}` to the fields of `{}`",
                    id_name.value, aggregate.id.ty, command.value
                )),
            );
        }
        return None;
    };
    if id.ty != aggregate.id.ty {
        ctx.error(
            Pos::of(id_name),
            format!(
                "`{}` is `{}`, but a {} id is `{}`",
                id.name, id.ty, aggregate.name, aggregate.id.ty
            ),
            "wrong id type",
            Some(format!("declare `{}: {}`", id.name, aggregate.id.ty)),
        );
        return None;
    }
    let exists = written.exists.as_ref().is_none_or(|exists| exists.value);
    if let (false, Some(guard)) = (exists, written.guards.first()) {
        ctx.error(
            Pos::of(guard),
            format!(
                "`{}` must not exist, so there is no state to guard",
                name.value
            ),
            "guard on an aggregate that must not exist",
            Some("remove the guards, or `exists: false`".into()),
        );
    }
    let guards = written
        .guards
        .iter()
        .filter_map(|g| guards::guard(ctx, g, &aggregate.state, &command.value, fields))
        .collect();
    let emits = match &written.emits {
        None => Vec::new(),
        Some(list) => {
            let on = Emitting {
                command: &command.value,
                aggregate: &aggregate.name,
                events: &aggregate.events,
                fields,
                id: &own.id,
                target_id: Some((&aggregate.id.name, id)),
            };
            commands::emits(ctx, &on, list)
        }
    };
    Some(ir::Dependency {
        name: name.value.clone(),
        aggregate: aggregate.name.clone(),
        id: id.clone(),
        exists,
        guards,
        emits,
    })
}
