//! Projections: the key, the row fields, and one handler per consumed event.

use std::sync::Arc;

use serde_saphyr::Spanned;

use super::aggregates::declared_event;
use super::changes::{self, Scope};
use super::ctx::Ctx;
use super::names;
use super::queries::poor_cassandra_partition;
use super::types::{self, Rules};
use crate::model::ast::{self, Pos};
use crate::model::ir;

/// A projection as far as it resolved, while queries still add the fields they list by.
pub(super) struct Draft {
    pub name: String,
    /// The key as written (empty when missing), which queries' messages name.
    pub key_name: String,
    /// `None` when the key did not resolve, which is reported.
    pub key: Option<ir::Field>,
    pub fields: Vec<ir::Field>,
    aggregates: Vec<String>,
    ignored: Vec<ir::Ignored>,
    pub handlers: Vec<ir::Handler>,
    pub indexes: Vec<ir::Index>,
    pub summaries: Vec<ir::Summary>,
}

impl Draft {
    /// The projection, once its key is known.
    pub fn finish(self) -> Option<ir::Projection> {
        Some(ir::Projection {
            name: self.name,
            key: self.key?,
            aggregates: self.aggregates,
            ignored: self.ignored,
            fields: self.fields,
            handlers: self.handlers,
            indexes: self.indexes,
            summaries: self.summaries,
        })
    }
}

pub(super) fn projection(
    ctx: &mut Ctx,
    name: &Spanned<String>,
    ast: &ast::Projection,
    aggregates: &[ir::Aggregate],
    read_store: ir::ReadStore,
) -> Draft {
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
        let on = Handled {
            fields: &fields,
            key: key.as_ref(),
            aggregates,
            read_store,
        };
        if let Some(handler) = handler(ctx, name, event, changes, &on) {
            handlers.push(handler);
        }
    }
    let mut consumed: Vec<String> = Vec::new();
    for handler in &handlers {
        if !consumed.contains(&handler.aggregate) {
            consumed.push(handler.aggregate.clone());
        }
    }
    let ignored = consumed
        .iter()
        .filter_map(|name| aggregates.iter().find(|a| &a.name == name))
        .flat_map(|a| a.events.iter().map(move |event| (a, event)))
        .filter(|(_, e)| handlers.iter().all(|h| h.event.name != e.name))
        .map(|(a, event)| ir::Ignored {
            aggregate: a.name.clone(),
            event: Arc::clone(event),
        })
        .collect();
    Draft {
        name: name.value.clone(),
        key_name: ast
            .key
            .as_ref()
            .map(|k| k.value.clone())
            .unwrap_or_default(),
        key,
        fields,
        aggregates: consumed,
        ignored,
        // Rows are found by each field a `where` compares, as lists find theirs.
        indexes: where_indexes(&handlers),
        summaries: Vec::new(),
        handlers,
    }
}

/// What a projection's handlers are checked against.
struct Handled<'a> {
    fields: &'a [ir::Field],
    key: Option<&'a ir::Field>,
    aggregates: &'a [ir::Aggregate],
    read_store: ir::ReadStore,
}

fn handler(
    ctx: &mut Ctx,
    projection: &Spanned<String>,
    event_name: &Spanned<String>,
    ast: &ast::Changes,
    on: &Handled,
) -> Option<ir::Handler> {
    let (fields, key, aggregates) = (on.fields, on.key, on.aggregates);
    let doing = format!("projection `{}` handles", projection.value);
    let (aggregate, event) = declared_event(
        ctx,
        aggregates,
        event_name,
        &doing,
        "a projection handles events that aggregates declare",
    )?;

    let rows = if ast.rows_where.0.is_empty() {
        row_key(ctx, projection, event_name, ast, key, aggregate, event)
    } else {
        rows_where(ctx, ast, on, aggregate, event)?
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
        event: Arc::clone(event),
        aggregate: aggregate.name.clone(),
        key: rows,
        changes,
        copies: Vec::new(),
    })
}

/// The row a handler changes by its key: the event field `key:` names, else the aggregate id
/// (also when what `key:` names is wrong, which is reported).
fn row_key(
    ctx: &mut Ctx,
    projection: &Spanned<String>,
    event_name: &Spanned<String>,
    ast: &ast::Changes,
    key: Option<&ir::Field>,
    aggregate: &ir::Aggregate,
    event: &ir::Event,
) -> ir::RowKey {
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
            Some(f) => Some(f.clone()),
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
    key_from.map_or(ir::RowKey::AggregateId, ir::RowKey::EventField)
}

/// `where: { <row field>: <event field or the aggregate's id> }`: every row whose field holds
/// that value. One field, of a type rows can be found by, and not the key (`key:` says that).
fn rows_where(
    ctx: &mut Ctx,
    ast: &ast::Changes,
    on: &Handled,
    aggregate: &ir::Aggregate,
    event: &ir::Event,
) -> Option<ir::RowKey> {
    let (fields, key) = (on.fields, on.key);
    let mut written = ast.rows_where.iter();
    let (column_name, from) = written.next()?;
    if let Some((second, _)) = written.next() {
        ctx.error(
            Pos::of(second),
            "`where` compares one field",
            "second field",
            Some("rows are chosen by one field's value".into()),
        );
        return None;
    }
    if let Some(keyed) = &ast.key {
        ctx.error(
            Pos::of(keyed),
            "a handler takes `key` or `where`, not both",
            "second way to choose rows",
            Some("`key` names one row; `where` every row holding a value".into()),
        );
        return None;
    }
    let Some(column) = fields.iter().find(|f| f.name == column_name.value) else {
        let hint = names::did_you_mean(&column_name.value, fields.iter().map(|f| f.name.as_str()));
        ctx.error(
            Pos::of(column_name),
            format!("the projection has no field `{}`", column_name.value),
            "not a field",
            hint,
        );
        return None;
    };
    if key.is_some_and(|key| key.name == column.name) {
        ctx.error(
            Pos::of(column_name),
            format!("`{}` is the key: one row holds each value", column.name),
            "the key",
            Some(format!("write `key: {}` instead", from.value)),
        );
        return None;
    }
    if matches!(
        column.ty,
        ir::Type::Optional(_) | ir::Type::List(_) | ir::Type::Value(_)
    ) {
        ctx.error(
            Pos::of(column_name),
            format!(
                "rows cannot be found by `{}`, which is `{}`",
                column.name, column.ty
            ),
            "not a plain field",
            Some("`where` takes a field that is not optional, a list or a value object".into()),
        );
        return None;
    }
    if on.read_store == ir::ReadStore::Cassandra
        && let Some((why, instead)) = poor_cassandra_partition(&column.ty)
    {
        ctx.error(
            Pos::of(column_name),
            format!(
                "Cassandra cannot find rows by `{}` well: {why}",
                column.name
            ),
            "poor partition key on Cassandra",
            Some(format!(
                "rows are found through a table partitioned by the field; {instead}"
            )),
        );
        return None;
    }
    let (value, ty) = if from.value == aggregate.id.name {
        (ir::WhereValue::AggregateId, &aggregate.id.ty)
    } else {
        match event.fields.iter().find(|f| f.name == from.value) {
            Some(field) => (ir::WhereValue::EventField(field.clone()), &field.ty),
            None => {
                let names = event.fields.iter().map(|f| f.name.as_str());
                let hint = names::did_you_mean(&from.value, names).or_else(|| {
                    Some(format!(
                        "name a field of `{}`, or `{}`, the id of the aggregate that records it",
                        event.name, aggregate.id.name
                    ))
                });
                ctx.error(
                    Pos::of(from),
                    format!("event `{}` has no field `{}`", event.name, from.value),
                    "not a field of the event",
                    hint,
                );
                return None;
            }
        }
    };
    if *ty != column.ty {
        ctx.error(
            Pos::of(from),
            format!(
                "`{}` is `{ty}`, but the projection's `{}` is `{}`",
                from.value, column.name, column.ty
            ),
            format!("expected `{}`", column.ty),
            None,
        );
        return None;
    }
    Some(ir::RowKey::Where {
        column: column.clone(),
        value,
    })
}

/// The fields handlers find rows by, each once.
fn where_indexes(handlers: &[ir::Handler]) -> Vec<ir::Index> {
    let mut indexes: Vec<ir::Index> = Vec::new();
    for handler in handlers {
        if let ir::RowKey::Where { column, .. } = &handler.key
            && !indexes.contains(&ir::Index::by(&column.name))
        {
            indexes.push(ir::Index::by(&column.name));
        }
    }
    indexes
}
