//! `facts`: states folded from the events carrying the same values of some tags, for commands
//! to read beside the aggregates they depend on.

use std::sync::Arc;

use serde_saphyr::Spanned;

use super::changes::{self, Scope};
use super::ctx::Ctx;
use super::names;
use super::types::{self, Rules};
use crate::model::ast::{self, NamedMap, Pos};
use crate::model::ir::{self, Field};

pub(super) fn facts(
    ctx: &mut Ctx,
    written: &NamedMap<ast::Fact>,
    aggregates: &[ir::Aggregate],
) -> Vec<Arc<ir::Fact>> {
    let mut facts = Vec::new();
    for (name, fact) in written.iter() {
        match one(ctx, name, fact, aggregates) {
            Some(fact) => facts.push(Arc::new(fact)),
            // Reported here: a command naming it is not told again that it does not exist.
            None => {
                ctx.unresolved.insert(name.value.clone());
            }
        }
    }
    facts
}

fn one(
    ctx: &mut Ctx,
    name: &Spanned<String>,
    written: &ast::Fact,
    aggregates: &[ir::Aggregate],
) -> Option<ir::Fact> {
    let state = written
        .state
        .as_ref()
        .map(|state| types::fields(ctx, state, Rules::Forbidden, None))
        .unwrap_or_default();
    let Some(tag_names) = written.tags.as_ref().filter(|tags| !tags.value.is_empty()) else {
        ctx.error(
            Pos::of(name),
            format!("fact `{}` has no `tags`", name.value),
            "missing `tags`",
            Some(
                "add `tags: [member_id]`: the fields, of every event it folds, whose values name \
                 one fact"
                    .into(),
            ),
        );
        return None;
    };
    names::unique(ctx, tag_names.value.iter(), "tag");
    for tag in &tag_names.value {
        if state.iter().any(|field| field.name == tag.value) {
            ctx.error(
                Pos::of(tag),
                format!(
                    "`{}` is both a tag and a state field of `{}`",
                    tag.value, name.value
                ),
                "tag and state",
                Some("a tag names the fact; the state is what its events change".into()),
            );
        }
    }
    if written.on.iter().next().is_none() {
        ctx.error(
            Pos::of(name),
            format!("fact `{}` folds no event", name.value),
            "missing `on`",
            Some("add `on: { SomeEvent: { increment: { count: 1 } } }`".into()),
        );
        return None;
    }
    let mut tags: Vec<Option<Field>> = vec![None; tag_names.value.len()];
    let mut handlers = Vec::new();
    for (event_name, changes) in written.on.iter() {
        let Some(handler) = handler(ctx, name, event_name, changes, &state, aggregates) else {
            continue;
        };
        // Each tag must tag every event it folds, with one type throughout.
        for (tag, resolved) in tag_names.value.iter().zip(&mut tags) {
            let carried = handler.event.tags.iter().find(|t| t.name == tag.value);
            match (carried, resolved.as_ref()) {
                (None, _) => ctx.error(
                    Pos::of(event_name),
                    format!(
                        "event `{}` is not tagged `{}`, which names a `{}`",
                        event_name.value, tag.value, name.value
                    ),
                    "untagged event",
                    Some(format!(
                        "add `tags: [{}]` to `{}`, or fold another event",
                        tag.value, event_name.value
                    )),
                ),
                (Some(field), Some(first)) if field.ty != first.ty => ctx.error(
                    Pos::of(event_name),
                    format!(
                        "`{}` is `{}` in `{}` but `{}` in an event before it",
                        tag.value, field.ty, event_name.value, first.ty
                    ),
                    "tag of another type",
                    Some("a tag has one type in every event a fact folds".into()),
                ),
                (Some(field), None) => *resolved = Some(field.clone()),
                (Some(_), Some(_)) => {}
            }
        }
        handlers.push(handler);
    }
    let tags: Option<Vec<Field>> = tags.into_iter().collect();
    Some(ir::Fact {
        name: name.value.clone(),
        tags: tags?,
        state,
        handlers,
    })
}

fn handler(
    ctx: &mut Ctx,
    fact: &Spanned<String>,
    event_name: &Spanned<String>,
    written: &ast::Changes,
    state: &[Field],
    aggregates: &[ir::Aggregate],
) -> Option<ir::FactHandler> {
    let found = aggregates.iter().find_map(|aggregate| {
        aggregate
            .events
            .iter()
            .find(|event| event.name == event_name.value)
            .map(|event| (aggregate, event))
    });
    let Some((aggregate, event)) = found else {
        let all = aggregates
            .iter()
            .flat_map(|a| a.events.iter().map(|e| e.name.as_str()));
        let hint = names::did_you_mean(&event_name.value, all)
            .or_else(|| Some("a fact folds events that aggregates declare".into()));
        ctx.error(
            Pos::of(event_name),
            format!(
                "fact `{}` folds `{}`, which no aggregate declares",
                fact.value, event_name.value
            ),
            "unknown event",
            hint,
        );
        return None;
    };
    for (place, what) in [
        (written.delete.as_ref().map(Pos::of), "`delete`"),
        (written.key.as_ref().map(Pos::of), "`key`"),
        (
            written
                .rows_where
                .iter()
                .next()
                .map(|(column, _)| Pos::of(column)),
            "`where`",
        ),
        (written.copy.first().map(Pos::of), "`copy`"),
    ] {
        if let Some(pos) = place {
            ctx.error(
                pos,
                format!("{what} belongs in projection handlers"),
                "not allowed in a fact",
                Some("a fact is one state, named by its tags".into()),
            );
        }
    }
    let scope = Scope {
        target_owner: format!("fact `{}`", fact.value),
        targets: state,
        event: &event_name.value,
        sources: &event.fields,
        key: None,
    };
    let changes = changes::changes(ctx, written, &scope);
    Some(ir::FactHandler {
        event: Arc::clone(event),
        aggregate: aggregate.name.clone(),
        changes,
    })
}
