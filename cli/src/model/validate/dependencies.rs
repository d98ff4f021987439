//! `depends_on`: the other aggregates a command reads, each by one of its fields, with the
//! guards on their state and the events it records on them; and the facts it reads, each by
//! the fields holding its tags, with the guards on them.

use std::sync::Arc;

use heck::ToSnakeCase;
use serde_saphyr::Spanned;

use super::commands::{self, Emitting};
use super::ctx::Ctx;
use super::guards;
use super::names;
use super::values::ServerValues;
use crate::model::ast::{self, NamedMap, Pos};
use crate::model::ir::{self, Field};

/// What a command may read: its own aggregate, every aggregate, every fact.
pub(super) struct Readable<'a> {
    pub own: &'a ir::Aggregate,
    pub all: &'a [ir::Aggregate],
    pub facts: &'a [Arc<ir::Fact>],
    /// The fields the server fills, for the events recorded on each aggregate read.
    pub values: &'a ServerValues<'a>,
}

pub(super) fn dependencies(
    ctx: &mut Ctx,
    command: &Spanned<String>,
    written: &NamedMap<ast::Dependency>,
    read: &Readable,
    fields: &[Field],
) -> (Vec<ir::Dependency>, Vec<ir::FactRead>) {
    let own = read.own;
    let mut resolved: Vec<ir::Dependency> = Vec::new();
    let mut facts: Vec<ir::FactRead> = Vec::new();
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
        // Nor may it be a name the decision binds besides: what it reads from, what it emits
        // into, and each value the server makes.
        if ["read", "changes"].contains(&name.value.as_str()) || read.values.names(&name.value) {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` is a name the command's decision uses for something else",
                    name.value
                ),
                "name taken",
                Some(format!(
                    "call it after its role, like `other_{}`",
                    name.value
                )),
            );
            continue;
        }
        if let Some(fact) = &dependency.fact {
            let Some(found) = fact_read(ctx, command, name, fact, dependency, read, fields) else {
                continue;
            };
            let twice = facts
                .iter()
                .find(|other| other.fact.name == found.fact.name && other.tags == found.tags);
            if let Some(other) = twice {
                ctx.error(
                    Pos::of(name),
                    format!(
                        "`{}` and `{}` both read `{}` by the same fields",
                        other.name, name.value, found.fact.name
                    ),
                    "read twice",
                    Some("keep one of them".into()),
                );
                continue;
            }
            facts.push(found);
            continue;
        }
        if let Some((tag, _)) = dependency.tags.iter().next() {
            ctx.error(
                Pos::of(tag),
                format!("`{}` reads an aggregate, which has no tags", name.value),
                "`tags` without `fact`",
                Some(
                    "`tags` says where a fact's tags come from: add `fact: ...`, or remove them"
                        .into(),
                ),
            );
        }
        let Some(found) = one(ctx, command, name, dependency, read, fields) else {
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
    (resolved, facts)
}

/// A fact the command reads: which, each of its tags from a field of the command (named in
/// `tags`, else the field of the tag's own name), and the guards on its state.
fn fact_read(
    ctx: &mut Ctx,
    command: &Spanned<String>,
    name: &Spanned<String>,
    fact_name: &Spanned<String>,
    written: &ast::Dependency,
    read: &Readable,
    fields: &[Field],
) -> Option<ir::FactRead> {
    let facts = read.facts;
    let misplaced = [
        (written.aggregate.as_ref().map(Pos::of), "aggregate"),
        (written.id.as_ref().map(Pos::of), "id"),
        (written.exists.as_ref().map(Pos::of), "exists"),
        (written.emits.as_ref().map(Pos::of), "emits"),
    ];
    for (pos, key) in misplaced {
        if let Some(pos) = pos {
            ctx.error(
                pos,
                format!("`{key}` is for an aggregate the command reads; `{}` reads a fact", name.value),
                "not for a fact",
                Some("a fact is read by its `tags`, and its events are recorded by the aggregates that record them".into()),
            );
        }
    }
    let Some(fact) = facts.iter().find(|fact| fact.name == fact_name.value) else {
        if ctx.reported(&fact_name.value) {
            return None;
        }
        let hint = names::did_you_mean(&fact_name.value, facts.iter().map(|f| f.name.as_str()))
            .or_else(|| Some("name a fact declared under `facts:`".into()));
        ctx.error(
            Pos::of(fact_name),
            format!("unknown fact `{}`", fact_name.value),
            "not a fact",
            hint,
        );
        return None;
    };
    for (tag, _) in written.tags.iter() {
        if !fact.tags.iter().any(|field| field.name == tag.value) {
            let hint = names::did_you_mean(&tag.value, fact.tags.iter().map(|f| f.name.as_str()))
                .or_else(|| {
                    Some(format!(
                        "the tags of `{}` are: {}",
                        fact.name,
                        tag_list(fact)
                    ))
                });
            ctx.error(
                Pos::of(tag),
                format!("`{}` is not a tag of `{}`", tag.value, fact.name),
                "not a tag",
                hint,
            );
        }
    }
    let mut tags = Vec::new();
    for tag in &fact.tags {
        let named = written
            .tags
            .iter()
            .find(|(written, _)| written.value == tag.name);
        let (field_name, pos) = match named {
            Some((_, from)) => (from.value.as_str(), Pos::of(from)),
            None => (tag.name.as_str(), Pos::of(name)),
        };
        // The command's own aggregate id is a field it holds too: a student's subscription.
        let own_id = Some(&read.own.id).filter(|id| id.name == field_name);
        let Some(field) = fields
            .iter()
            .find(|field| field.name == field_name)
            .or(own_id)
        else {
            if !ctx.reported(field_name) {
                ctx.error(
                    pos,
                    format!("command `{}` has no field `{field_name}`", command.value),
                    "not a field of the command",
                    Some(format!(
                        "add `{field_name}: {}` to the fields of `{}`, or say under `tags:` which field holds `{}`",
                        tag.ty, command.value, tag.name
                    )),
                );
            }
            continue;
        };
        if field.ty != tag.ty {
            ctx.error(
                pos,
                format!(
                    "`{}` is `{}`, but the tag `{}` of `{}` is `{}`",
                    field.name, field.ty, tag.name, fact.name, tag.ty
                ),
                "wrong tag type",
                Some(format!("declare `{}: {}`", field.name, tag.ty)),
            );
            continue;
        }
        tags.push((tag.clone(), field.clone()));
    }
    if tags.len() != fact.tags.len() {
        return None;
    }
    let guards = written
        .guards
        .iter()
        .filter_map(|g| guards::guard(ctx, g, &fact.state, &command.value, fields))
        .collect();
    Some(ir::FactRead {
        name: name.value.clone(),
        fact: Arc::clone(fact),
        tags,
        guards,
    })
}

fn tag_list(fact: &ir::Fact) -> String {
    let names: Vec<&str> = fact.tags.iter().map(|f| f.name.as_str()).collect();
    names.join(", ")
}

fn one(
    ctx: &mut Ctx,
    command: &Spanned<String>,
    name: &Spanned<String>,
    written: &ast::Dependency,
    read: &Readable,
    fields: &[Field],
) -> Option<ir::Dependency> {
    let (own, all) = (read.own, read.all);
    let Some(aggregate_name) = &written.aggregate else {
        ctx.error(
            Pos::of(name),
            format!("`{}` does not say which aggregate it is", name.value),
            "missing `aggregate`",
            Some("add `aggregate: Member`, the aggregate the command reads, or `fact: ...`".into()),
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
                values: read.values,
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
