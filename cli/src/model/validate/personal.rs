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
