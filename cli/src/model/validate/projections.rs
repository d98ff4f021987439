//! Projections: the key, the row fields, and one handler per consumed event.

use serde_saphyr::Spanned;

use super::changes::{self, Scope};
use super::types::{self, Rules};
use super::{Ctx, names};
use crate::model::ast::{self, Pos};
use crate::model::ir;

pub(super) fn projection(
    ctx: &mut Ctx,
    name: &Spanned<String>,
    ast: &ast::Projection,
    aggregates: &[ir::Aggregate],
) -> ir::Projection {
    let fields = types::fields(ctx, &ast.fields, Rules::Forbidden, None);
    let key = match &ast.key {
        None => {
            ctx.error(
                Pos::of(name),
                format!("projection `{}` has no `key`", name.value),
                "missing `key`",
                Some("add `key: <field>`, the field that identifies each row".into()),
            );
            None
        }
        Some(key) => {
            let found = fields.iter().find(|f| f.name == key.value).cloned();
            if found.is_none() && !ctx.reported(&key.value) {
                let hint = names::did_you_mean(&key.value, fields.iter().map(|f| f.name.as_str()))
                    .or_else(|| Some(format!("declare `{}` under `fields:`", key.value)));
                ctx.error(
                    Pos::of(key),
                    format!("projection `{}` has no field `{}`", name.value, key.value),
                    "not a field",
                    hint,
                );
            }
            found
        }
    };
    names::unique(
        ctx,
        ast.on.iter().map(|(event, _)| event),
        "handler for event",
    );
    let mut handlers: Vec<ir::Handler> = Vec::new();
    for (event, changes) in ast.on.iter() {
        let Some(handler) = handler(ctx, name, event, changes, &fields, key.as_ref(), aggregates)
        else {
            continue;
        };
        // A projection reads one aggregate's event stream: its Rust type names one event enum.
        if let Some(first) = handlers.first()
            && first.aggregate != handler.aggregate
        {
            ctx.error(
                Pos::of(event),
                format!(
                    "projection `{}` handles events of `{}` and of `{}`",
                    name.value, first.aggregate, handler.aggregate
                ),
                "event of another aggregate",
                Some("a projection consumes the events of one aggregate; split it into one projection per aggregate".into()),
            );
            continue;
        }
        handlers.push(handler);
    }
    ir::Projection {
        name: name.value.clone(),
        key: key.map_or_else(
            || {
                ast.key
                    .as_ref()
                    .map(|k| k.value.clone())
                    .unwrap_or_default()
            },
            |k| k.name,
        ),
        fields,
        handlers,
        indexed: Vec::new(),
    }
}

fn handler(
    ctx: &mut Ctx,
    projection: &Spanned<String>,
    event_name: &Spanned<String>,
    ast: &ast::Changes,
    fields: &[ir::Field],
    key: Option<&ir::Field>,
    aggregates: &[ir::Aggregate],
) -> Option<ir::Handler> {
    let found = aggregates.iter().find_map(|a| {
        a.events
            .iter()
            .find(|e| e.name == event_name.value)
            .map(|e| (a, e))
    });
    let Some((aggregate, event)) = found else {
        let all = aggregates
            .iter()
            .flat_map(|a| a.events.iter().map(|e| e.name.as_str()));
        let hint = names::did_you_mean(&event_name.value, all)
            .or_else(|| Some("a projection handles events that aggregates declare".into()));
        ctx.error(
            Pos::of(event_name),
            format!(
                "projection `{}` handles `{}`, which no aggregate declares",
                projection.value, event_name.value
            ),
            "unknown event",
            hint,
        );
        return None;
    };

    let key_from = match (&ast.key, key) {
        (Some(from), Some(key)) => match event.fields.iter().find(|f| f.name == from.value) {
            None => {
                let hint =
                    names::did_you_mean(&from.value, event.fields.iter().map(|f| f.name.as_str()));
                ctx.error(
                    Pos::of(from),
                    format!("event `{}` has no field `{}`", event.name, from.value),
                    "not a field of the event",
                    hint,
                );
                None
            }
            Some(f) if f.ty != key.ty => {
                ctx.error(
                    Pos::of(from),
                    format!(
                        "`{}` is `{}` in `{}` but the key `{}` is `{}`",
                        f.name, f.ty, event.name, key.name, key.ty
                    ),
                    format!("expected `{}`", key.ty),
                    None,
                );
                None
            }
            Some(f) => Some(f.name.clone()),
        },
        (None, Some(key)) if key.ty != aggregate.id.ty => {
            ctx.error(
                Pos::of(event_name),
                format!(
                    "`{}` is keyed by `{}` (`{}`), but the id of `{}` is `{}`",
                    projection.value, key.name, key.ty, aggregate.name, aggregate.id.ty
                ),
                "key types differ",
                Some(
                    "add `key: <event field>` to take the row key from a field of the event".into(),
                ),
            );
            None
        }
        _ => None,
    };

    let scope = Scope {
        target_owner: format!("projection `{}`", projection.value),
        targets: fields,
        event: &event.name,
        sources: &event.fields,
        key: key.map(|k| k.name.as_str()),
    };
    let mut changes = changes::changes(ctx, ast, &scope);
    if ast.delete.as_ref().is_some_and(|d| d.value) {
        changes.push(ir::ChangeOp::Delete);
    }
    Some(ir::Handler {
        event: event.name.clone(),
        aggregate: aggregate.name.clone(),
        key_from,
        changes,
    })
}
