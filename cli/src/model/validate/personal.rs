//! Personal data: the fields of an event that are about a data subject, sealed with the
//! subject's key and erased (read as `null`) once the subject is forgotten.

use serde_saphyr::Spanned;

use super::ctx::Ctx;
use super::names;
use crate::model::ast::{self, Pos};
use crate::model::ir::{self, ChangeOp, Field, Persistence, Type};

/// The aggregate an event belongs to, as the personal fields' checks need it.
pub(super) struct Owner<'a> {
    pub name: &'a str,
    pub id: &'a str,
    pub persistence: Persistence,
    /// Every aggregate of the model: a subject is one of them.
    pub all: &'a [&'a str],
}

pub(super) fn personal(
    ctx: &mut Ctx,
    event: &Spanned<String>,
    written: Option<&Spanned<ast::Personal>>,
    fields: &[Field],
    apply: &[ChangeOp],
    owner: &Owner,
) -> Option<ir::Personal> {
    let written = written?;
    let personal = &written.value;
    let event_name = &event.value;
    let about = match &personal.about {
        None => owner.name.to_owned(),
        Some(about) if owner.all.contains(&about.value.as_str()) => about.value.clone(),
        Some(about) => {
            let hint = names::did_you_mean(&about.value, owner.all.iter().copied())
                .or_else(|| Some("a subject is one of the model's aggregates".into()));
            ctx.error(
                Pos::of(about),
                format!("`{}` is not an aggregate", about.value),
                "not an aggregate",
                hint,
            );
            return None;
        }
    };
    let id = subject_id(ctx, event_name, personal, &about, fields, owner)?;
    if personal.fields.value.is_empty() {
        ctx.error(
            Pos::of(&personal.fields),
            format!("event `{event_name}` lists no personal field"),
            "empty list",
            Some("name the fields that are personal data, or remove `personal`".into()),
        );
        return None;
    }
    names::unique(ctx, personal.fields.value.iter(), "personal field");
    let mut marked = Vec::new();
    for name in &personal.fields.value {
        let Some(field) = fields.iter().find(|field| field.name == name.value) else {
            let hint = names::did_you_mean(&name.value, fields.iter().map(|f| f.name.as_str()));
            ctx.error(
                Pos::of(name),
                format!("event `{event_name}` has no field `{}`", name.value),
                "not a field of the event",
                hint,
            );
            continue;
        };
        if !matches!(field.ty, Type::Optional(_)) {
            ctx.error(
                Pos::of(name),
                format!(
                    "personal field `{}` of `{event_name}` is not optional",
                    name.value
                ),
                "not optional",
                Some(format!(
                    "a forgotten subject's fields read as null: make it optional, \
                     `{}: optional<{}>`",
                    name.value, field.ty
                )),
            );
            continue;
        }
        if owner.persistence == Persistence::StateStored && copied_into_state(apply, &name.value) {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` keeps its state in a row (`persistence: state_stored`), which would \
                     hold `{}` in clear once its subject is forgotten",
                    owner.name, name.value
                ),
                "copied into a stored state",
                Some(
                    "keep personal fields out of a state-stored aggregate's state, or make it \
                     event-sourced"
                        .into(),
                ),
            );
            continue;
        }
        marked.push(name.value.clone());
    }
    Some(ir::Personal {
        fields: marked,
        about,
        id,
    })
}

/// The event's field holding the subject's id (`None`: the event's own aggregate), checked.
fn subject_id(
    ctx: &mut Ctx,
    event: &str,
    personal: &ast::Personal,
    about: &str,
    fields: &[Field],
    owner: &Owner,
) -> Option<Option<String>> {
    let Some(id) = &personal.id else {
        if about == owner.name {
            return Some(None);
        }
        let pos = personal.about.as_ref().map_or(Pos::START, Pos::of);
        ctx.error(
            pos,
            format!("event `{event}` is about a `{about}` but does not say which"),
            "no id",
            Some(format!("add `id: <the field holding the {about}'s id>`")),
        );
        return None;
    };
    if id.value == owner.id && about == owner.name {
        return Some(None);
    }
    let Some(field) = fields.iter().find(|field| field.name == id.value) else {
        let hint = names::did_you_mean(&id.value, fields.iter().map(|f| f.name.as_str()));
        ctx.error(
            Pos::of(id),
            format!("event `{event}` has no field `{}`", id.value),
            "not a field of the event",
            hint,
        );
        return None;
    };
    if !matches!(field.ty, Type::String | Type::Uuid | Type::Int) {
        ctx.error(
            Pos::of(id),
            format!(
                "`{}` cannot hold a subject's id: it is `{}`",
                id.value, field.ty
            ),
            "not an id",
            Some("a subject's id is a `string`, `uuid` or `int` that is always there".into()),
        );
        return None;
    }
    Some(Some(id.value.clone()))
}

/// Whether the event's `field` is copied into the aggregate's state.
fn copied_into_state(apply: &[ChangeOp], field: &str) -> bool {
    apply
        .iter()
        .any(|op| op.copied().is_some_and(|source| source.name == field))
}

/// A unique state field fed from a personal field: unique values are kept in clear (they are
/// checked against each other), so one could not be forgotten.
pub(super) fn refuse_unique(
    ctx: &mut Ctx,
    unique: &ast::NamedMap<ast::Unique>,
    events: &[std::sync::Arc<ir::Event>],
) {
    for (field, _) in unique.iter() {
        let fed = events.iter().find_map(|event| {
            let personal = event.personal.as_ref()?;
            event.apply.iter().find_map(|op| {
                let source = op.copied()?;
                let target = op.target()?;
                (target.name == field.value && personal.fields.contains(&source.name))
                    .then_some((event.name.as_str(), source.name.as_str()))
            })
        });
        if let Some((event, source)) = fed {
            ctx.error(
                Pos::of(field),
                format!(
                    "`{}` is unique, and `{event}` sets it from its personal field `{source}`",
                    field.value
                ),
                "personal and unique",
                Some(
                    "unique values are kept in clear to be compared, so they could never be \
                     forgotten: make the field not personal, or not unique"
                        .into(),
                ),
            );
        }
    }
}

/// The state fields `events` copy a personal field into (set or appended), each with the kind
/// of subject the data is about: a command that reads one reads personal data.
pub(super) fn personal_state(events: &[std::sync::Arc<ir::Event>]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for event in events {
        let Some(personal) = &event.personal else {
            continue;
        };
        for op in &event.apply {
            let (Some(source), Some(target)) = (op.copied(), op.target()) else {
                continue;
            };
            let fed = (target.name.clone(), personal.about.clone());
            if personal.fields.contains(&source.name) && !fields.contains(&fed) {
                fields.push(fed);
            }
        }
    }
    fields
}

/// Whether `event` keeps its field `field` sealed with the key of a subject of kind `about`.
pub(super) fn sealed_as(event: &ir::Event, field: &str, about: &str) -> bool {
    event.personal.as_ref().is_some_and(|personal| {
        personal.about == about && personal.fields.iter().any(|f| f == field)
    })
}

/// Refuses carrying personal data about a subject of kind `about` into `event`'s `field`
/// unless that field is sealed with the same kind of subject's key: in clear (or under another
/// subject's key) it would outlive forgetting the subject.
pub(super) fn refuse_unsealed(
    ctx: &mut Ctx,
    at: Pos,
    what: &str,
    about: &str,
    event: &ir::Event,
    field: &str,
) {
    if sealed_as(event, field, about) {
        return;
    }
    ctx.error(
        at,
        format!(
            "{what}, personal data about a `{about}`, goes into `{field}` of `{}`, which is not \
             personal about a `{about}`: it would be stored in clear and outlive forgetting them",
            event.name
        ),
        "personal data in clear",
        Some(format!(
            "mark it in `{}`: `personal: {{ fields: [{field}], about: {about}, id: <the field \
             holding the {about}'s id> }}`, or carry the {about}'s id instead",
            event.name
        )),
    );
}

/// Refuses an event's `id` field whose type is not its subject's id type: `forget` finds a
/// subject by the id its own aggregate has, so another type would seal under a key no one
/// could forget by that id.
pub(super) fn check_subject_ids(ctx: &mut Ctx, file: &ast::File, aggregates: &[ir::Aggregate]) {
    for ((_, written), aggregate) in file.aggregates.iter().zip(aggregates) {
        for ((_, event_ast), event) in written.events.iter().zip(&aggregate.events) {
            let (Some(personal), Some(at)) = (
                &event.personal,
                event_ast
                    .personal
                    .as_ref()
                    .and_then(|p| p.value.id.as_ref()),
            ) else {
                continue;
            };
            let Some(id) = &personal.id else {
                continue;
            };
            let Some(subject) = aggregates.iter().find(|a| a.name == personal.about) else {
                continue;
            };
            let Some(field) = event.fields.iter().find(|f| &f.name == id) else {
                continue;
            };
            if field.ty.required() != &subject.id.ty {
                ctx.error(
                    Pos::of(at),
                    format!(
                        "`{id}` is `{}`, but a `{}` is known by a `{}` id",
                        field.ty, subject.name, subject.id.ty
                    ),
                    "another id type",
                    Some(format!("make `{id}` a `{}`", subject.id.ty)),
                );
            }
        }
    }
}
