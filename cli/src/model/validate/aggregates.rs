//! Aggregates: the id, the state, the persistence, and events and how they apply.

use std::sync::Arc;

use heck::ToSnakeCase;
use serde_saphyr::Spanned;

use super::changes::{self, Scope};
use super::commands;
use super::ctx::Ctx;
use super::names;
use super::personal;
use super::types::{self, Rules};
use crate::model::ast::{self, Pos};
use crate::model::ir::{self, Field, Persistence, Type};

/// `all` names every aggregate of the model, which personal data may be about.
pub(super) fn aggregate(
    ctx: &mut Ctx,
    name: &Spanned<String>,
    ast: &ast::Aggregate,
    all: &[&str],
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
    let owner = personal::Owner {
        name: &name.value,
        id: &id.name,
        persistence,
        all,
    };
    let events: Vec<Arc<ir::Event>> = ast
        .events
        .iter()
        .map(|(event, e)| Arc::new(self::event(ctx, &owner, event, e, &state)))
        .collect();
    let unique = unique(ctx, name, &ast.unique, &state);
    personal::refuse_unique(ctx, &ast.unique, &events);
    ir::Aggregate {
        name: name.value.clone(),
        id,
        state,
        persistence,
        commands: Vec::new(),
        events,
        unique,
    }
}

/// The commands of `own`, once every aggregate's state and events are known: a command may
/// read other aggregates.
pub(super) fn commands(
    ctx: &mut Ctx,
    name: &Spanned<String>,
    ast: &ast::Aggregate,
    own: &ir::Aggregate,
    all: &[ir::Aggregate],
    facts: &[Arc<ir::Fact>],
) -> Vec<ir::Command> {
    ast.commands
        .iter()
        .map(|(command, c)| commands::command(ctx, name, command, c, own, all, facts))
        .collect()
}

/// The unique fields: state fields of a type that can be a key, perhaps within another.
fn unique(
    ctx: &mut Ctx,
    aggregate: &Spanned<String>,
    written: &ast::NamedMap<ast::Unique>,
    state: &[Field],
) -> Vec<ir::Unique> {
    let state_field = |ctx: &mut Ctx, name: &Spanned<String>| {
        let found = state.iter().find(|field| field.name == name.value).cloned();
        if found.is_none() && !ctx.reported(&name.value) {
            let hint = names::did_you_mean(&name.value, state.iter().map(|f| f.name.as_str()))
                .or_else(|| {
                    Some(format!(
                        "name a field of the state of `{}`",
                        aggregate.value
                    ))
                });
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` is not a state field of `{}`",
                    name.value, aggregate.value
                ),
                "not a state field",
                hint,
            );
        }
        found
    };
    let mut unique = Vec::new();
    for (name, spec) in written.iter() {
        let Some(field) = state_field(ctx, name) else {
            continue;
        };
        let key_type = field.ty.required();
        if !matches!(key_type, Type::String | Type::Int | Type::Uuid) {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` is `{}`, which cannot be a unique value",
                    field.name, field.ty
                ),
                "not a key type",
                Some("a unique field is a string, int or uuid, or optional of one".into()),
            );
            continue;
        }
        let within = match &spec.within {
            None => None,
            Some(within) if within.value == field.name => {
                ctx.error(
                    Pos::of(within),
                    format!("`{}` cannot be unique within itself", field.name),
                    "the same field",
                    Some("name another state field, or leave `within` out".into()),
                );
                continue;
            }
            Some(within) => match state_field(ctx, within) {
                Some(within) => Some(within),
                None => continue,
            },
        };
        unique.push(ir::Unique { field, within });
    }
    unique
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
    owner: &personal::Owner,
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
        target_owner: format!("the state of `{}`", owner.name),
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
    let keyed = ast.apply.key.as_ref().map(|key| (Pos::of(key), "`key`"));
    let chosen = ast
        .apply
        .rows_where
        .iter()
        .next()
        .map(|(column, _)| (Pos::of(column), "`where`"));
    let copied = ast.apply.copy.first().map(|copy| (Pos::of(copy), "`copy`"));
    for (pos, what) in keyed.into_iter().chain(chosen).chain(copied) {
        ctx.error(
            pos,
            format!("{what} belongs in projection handlers"),
            "not allowed in `apply`",
            Some("an event always applies to its own aggregate".into()),
        );
    }
    let tags = event_tags(ctx, name, ast.tags.as_ref(), &fields);
    let personal = personal::personal(ctx, name, ast.personal.as_ref(), &fields, &apply, owner);
    if let Some(personal) = &personal
        && let Some(tag) = tags.iter().find(|tag| personal.fields.contains(&tag.name))
    {
        let at = ast.personal.as_ref().map_or(Pos::START, Pos::of);
        ctx.error(
            at,
            format!("`{}` tags `{}` and is personal", tag.name, name.value),
            "a personal tag",
            Some(
                "tags are kept in clear to find events by: keep personal fields out of them".into(),
            ),
        );
    }
    ir::Event {
        name: name.value.clone(),
        version,
        fields,
        tags,
        apply,
        personal,
    }
}

/// The fields whose values tag an event: each a field of the event, of a type a tag can hold.
fn event_tags(
    ctx: &mut Ctx,
    event: &Spanned<String>,
    written: Option<&Spanned<Vec<Spanned<String>>>>,
    fields: &[Field],
) -> Vec<Field> {
    let Some(written) = written else {
        return Vec::new();
    };
    names::unique(ctx, written.value.iter(), "tag");
    let mut tags = Vec::new();
    for tag in &written.value {
        let Some(field) = fields.iter().find(|field| field.name == tag.value) else {
            let hint = names::did_you_mean(&tag.value, fields.iter().map(|f| f.name.as_str()))
                .or_else(|| Some("a tag is one of the event's own fields".into()));
            ctx.error(
                Pos::of(tag),
                format!("event `{}` has no field `{}`", event.value, tag.value),
                "not a field of the event",
                hint,
            );
            continue;
        };
        if !is_tag_type(&field.ty) {
            ctx.error(
                Pos::of(tag),
                format!(
                    "`{}` is `{}`, which cannot tag an event",
                    field.name, field.ty
                ),
                "not a tag type",
                Some("a tag is a string, int, uuid, bool or date, or optional of one".into()),
            );
            continue;
        }
        tags.push(field.clone());
    }
    tags
}

/// Whether a field's values can be tags: what `eventwright::tag::TagValue` takes.
pub(super) fn is_tag_type(ty: &Type) -> bool {
    let ty = ty.required();
    matches!(
        ty,
        Type::String | Type::Int | Type::Uuid | Type::Bool | Type::Date
    )
}

/// The aggregate declaring the event `event_name`, and the event; else an error at the name
/// saying who wanted it (`doing`: "projection `X` handles"), with a "did you mean" or `hint`.
pub(super) fn declared_event<'a>(
    ctx: &mut Ctx,
    aggregates: &'a [ir::Aggregate],
    event_name: &Spanned<String>,
    doing: &str,
    hint: &str,
) -> Option<(&'a ir::Aggregate, &'a Arc<ir::Event>)> {
    let found = aggregates.iter().find_map(|a| {
        a.events
            .iter()
            .find(|e| e.name == event_name.value)
            .map(|e| (a, e))
    });
    if found.is_none() {
        let all = aggregates
            .iter()
            .flat_map(|a| a.events.iter().map(|e| e.name.as_str()));
        let hint = names::did_you_mean(&event_name.value, all).or_else(|| Some(hint.to_owned()));
        ctx.error(
            Pos::of(event_name),
            format!(
                "{doing} `{}`, which no aggregate declares",
                event_name.value
            ),
            "unknown event",
            hint,
        );
    }
    found
}
