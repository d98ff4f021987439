//! What a workflow may not say, each refused where it is written: changes where no state
//! changes, a projection's keys in a process's `apply`, names the generated code takes.

use heck::ToUpperCamelCase;
use serde_saphyr::Spanned;

use super::super::ctx::Ctx;
use crate::model::ast::{self, Pos};

/// Where the first change of `changes` is written, if it has one.
pub(super) fn first_change(changes: &ast::Changes) -> Option<Pos> {
    let named = |keys: Vec<Pos>| keys.into_iter().next();
    named(changes.set.iter().map(|(k, _)| Pos::of(k)).collect())
        .or_else(|| named(changes.set_const.iter().map(|(k, _)| Pos::of(k)).collect()))
        .or_else(|| named(changes.increment.iter().map(|(k, _)| Pos::of(k)).collect()))
        .or_else(|| named(changes.decrement.iter().map(|(k, _)| Pos::of(k)).collect()))
        .or_else(|| named(changes.append.iter().map(|(k, _)| Pos::of(k)).collect()))
        .or_else(|| named(changes.remove.iter().map(|(k, _)| Pos::of(k)).collect()))
        .or_else(|| projection_only(changes).map(|(pos, _)| pos))
}

/// Where a key only projections take (`delete`, `key`, `where`, `copy`) is written, and which.
pub(super) fn projection_only(changes: &ast::Changes) -> Option<(Pos, &'static str)> {
    if let Some(delete) = &changes.delete {
        return Some((Pos::of(delete), "delete"));
    }
    if let Some(key) = &changes.key {
        return Some((Pos::of(key), "key"));
    }
    if let Some((field, _)) = changes.rows_where.iter().next() {
        return Some((Pos::of(field), "where"));
    }
    changes.copy.first().map(|copy| (Pos::of(copy), "copy"))
}

/// Refuses an `apply` where nothing keeps a state: a policy's reactions, a timer's, a refusal's.
pub(super) fn no_changes(
    ctx: &mut Ctx,
    workflow: &Spanned<String>,
    changes: &ast::Changes,
    where_: &str,
) {
    if let Some(pos) = first_change(changes) {
        ctx.error(
            pos,
            format!("workflow `{}` changes no state {where_}", workflow.value),
            "`apply` has nothing to change here",
            Some("a process manager's state changes in its events' reactions".into()),
        );
    }
}

/// Refuses `delete`, `key`, `where` and `copy` in a process's `apply`: rows have them, states not.
pub(super) fn no_row_keys(ctx: &mut Ctx, workflow: &Spanned<String>, changes: &ast::Changes) {
    if let Some((pos, key)) = projection_only(changes) {
        ctx.error(
            pos,
            format!("`{key}` changes a projection's rows, not the state of workflow `{}`", workflow.value),
            "a projection's key",
            Some("a process's `apply` takes `set`, `set_const`, `increment`, `decrement`, `append` and `remove`".into()),
        );
    }
}

/// Refuses a state field named `correlation`: the generated state holds the correlation under
/// that name.
pub(super) fn state_names(ctx: &mut Ctx, fields: &ast::Fields) {
    for (name, _) in fields.iter() {
        if name.value == "correlation" {
            ctx.error(
                Pos::of(name),
                "a process's state cannot have a field `correlation`",
                "reserved",
                Some("the state keeps the process's correlation under that name: read it as `correlation`".into()),
            );
        }
    }
}

/// Refuses two timers whose names become one type's variant (`due_1`, `due1`).
pub(super) fn timer_names(ctx: &mut Ctx, timers: &ast::NamedMap<ast::Reaction>) {
    let mut seen: Vec<(String, &Spanned<String>)> = Vec::new();
    for (name, _) in timers.iter() {
        let variant = name.value.to_upper_camel_case();
        match seen.iter().find(|(taken, _)| *taken == variant) {
            Some((_, first)) => ctx.error(
                Pos::of(name),
                format!(
                    "timers `{}` and `{}` are both `{variant}` in the generated code",
                    first.value, name.value
                ),
                "the same timer",
                Some("rename one".into()),
            ),
            None => seen.push((variant, name)),
        }
    }
}

/// Refuses copying an event's personal field into a process's state: the state is stored in
/// clear, and would outlive the subject's key.
pub(super) fn no_personal_state(
    ctx: &mut Ctx,
    workflow: &Spanned<String>,
    event: &crate::model::ir::Event,
    changes: &ast::Changes,
) {
    let Some(personal) = &event.personal else {
        return;
    };
    let copied = changes
        .set
        .iter()
        .filter_map(|(_, source)| Some((Pos::of(source), source.value.as_deref()?)));
    let appended = changes
        .append
        .iter()
        .map(|(_, source)| (Pos::of(source), source.value.as_str()));
    for (at, field) in copied.chain(appended) {
        if personal.fields.iter().any(|personal| personal == field) {
            ctx.error(
                at,
                format!(
                    "workflow `{}` keeps `{field}`, a personal field of `{}`, in its state",
                    workflow.value, event.name
                ),
                "personal data in a process state",
                Some(
                    "a process's state is stored in clear and would outlive a forgotten \
                     subject: keep the subject's id, and read what the process needs when it \
                     needs it"
                        .into(),
                ),
            );
        }
    }
}
