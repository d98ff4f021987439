//! Queries: one row by key (`get_by`), rows by a field (`list_by`) or every row (`list_all`) of
//! a projection.

use std::sync::Arc;

use super::ctx::Ctx;
use super::names;
use super::projections::Draft;
use crate::model::ast::{self, NamedMap, Pos};
use crate::model::ir::{self, Type};

/// The operations routes of every service, and their handlers' names: no query may take them.
const OPERATIONS: [&str; 4] = ["health", "ready", "metrics", "openapi"];

/// A query, resolved but for its projection, which queries are still adding to.
pub(super) struct Resolved {
    name: String,
    /// Its index among the projections.
    projection: usize,
    kind: ir::QueryKind,
}

impl Resolved {
    /// The query, on its projection among `projections` (`None` where that did not resolve).
    pub fn finish(self, projections: &[Option<Arc<ir::Projection>>]) -> Option<ir::Query> {
        let projection = projections.get(self.projection)?.as_ref()?;
        Some(ir::Query {
            name: self.name,
            projection: Arc::clone(projection),
            kind: self.kind,
        })
    }
}

/// Also records on each projection the fields its list queries filter on.
pub(super) fn queries(
    ctx: &mut Ctx,
    queries: &NamedMap<ast::Query>,
    projections: &mut [Draft],
    read_store: ir::ReadStore,
) -> Vec<Resolved> {
    names::unique(ctx, queries.iter().map(|(name, _)| name), "query");
    let mut resolved = Vec::new();
    for (name, query) in queries.iter() {
        names::snake(ctx, name, "query");
        if OPERATIONS.contains(&name.value.as_str()) {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` is a route every service serves already (`/{}`)",
                    name.value, name.value
                ),
                "reserved name",
                Some(format!(
                    "name the query for what it answers, like `all_{}`",
                    name.value
                )),
            );
            continue;
        }
        let Some(projection_name) = &query.projection else {
            ctx.error(
                Pos::of(name),
                format!("query `{}` has no `projection`", name.value),
                "missing `projection`",
                Some("add `projection: <Name>`".into()),
            );
            continue;
        };
        let Some(index) = projections
            .iter()
            .position(|p| p.name == projection_name.value)
        else {
            let hint = names::did_you_mean(
                &projection_name.value,
                projections.iter().map(|p| p.name.as_str()),
            );
            ctx.error(
                Pos::of(projection_name),
                format!("unknown projection `{}`", projection_name.value),
                "not a projection",
                hint,
            );
            continue;
        };
        let projection = &mut projections[index];
        let mut selectors = [
            query
                .get_by
                .as_ref()
                .map(|field| (Pos::of(field), "get_by")),
            query
                .list_by
                .as_ref()
                .map(|field| (Pos::of(field), "list_by")),
            query
                .list_all
                .as_ref()
                .map(|all| (Pos::of(all), "list_all")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
        selectors.sort_by_key(|(at, _)| (at.line, at.column));
        match selectors.as_slice() {
            [] => {
                ctx.error(
                    Pos::of(name),
                    format!(
                        "query `{}` has none of `get_by`, `list_by` and `list_all`",
                        name.value
                    ),
                    "no selector",
                    Some(format!("add `get_by: {}`", projection.key_name)),
                );
                continue;
            }
            [(_, first), (at, second), ..] => {
                ctx.error(
                    *at,
                    format!("query `{}` has both `{first}` and `{second}`", name.value),
                    "second selector",
                    Some("keep one; make a query for each".into()),
                );
                continue;
            }
            [_] => {}
        }
        if let Some(all) = &query.list_all {
            if !all.value {
                ctx.error(
                    Pos::of(all),
                    "`list_all: false` selects nothing",
                    "selects nothing",
                    Some("write `list_all: true`, or remove the query".into()),
                );
                continue;
            }
            resolved.push(Resolved {
                name: name.value.clone(),
                projection: index,
                kind: ir::QueryKind::ListAll,
            });
            continue;
        }
        let (field, list) = match (&query.get_by, &query.list_by) {
            (Some(field), _) => (field, false),
            (_, Some(field)) => (field, true),
            (None, None) => unreachable!("one selector, not `list_all`"),
        };
        let Some(found) = projection.fields.iter().find(|f| f.name == field.value) else {
            if ctx.reported(&field.value) {
                continue;
            }
            let hint = names::did_you_mean(
                &field.value,
                projection.fields.iter().map(|f| f.name.as_str()),
            );
            ctx.error(
                Pos::of(field),
                format!(
                    "projection `{}` has no field `{}`",
                    projection.name, field.value
                ),
                "not a field of the projection",
                hint,
            );
            continue;
        };
        let kind = if list {
            if matches!(found.ty, Type::Optional(_) | Type::List(_) | Type::Value(_)) {
                ctx.error(
                    Pos::of(field),
                    format!("cannot list by `{}`, which is `{}`", found.name, found.ty),
                    "not a plain field",
                    Some(
                        "`list_by` takes a field that is not optional, a list or a value object"
                            .into(),
                    ),
                );
                continue;
            }
            if read_store == ir::ReadStore::Cassandra
                && let Some((why, instead)) = poor_cassandra_partition(&found.ty)
            {
                ctx.error(
                    Pos::of(field),
                    format!(
                        "Cassandra cannot serve `list_by: {}` well: {why}",
                        found.name
                    ),
                    "poor partition key on Cassandra",
                    Some(format!(
                        "a Cassandra list is one partition keyed by the listed field; {instead}"
                    )),
                );
                continue;
            }
            if !projection.indexed.contains(&found.name) {
                projection.indexed.push(found.name.clone());
            }
            ir::QueryKind::List {
                field: found.clone(),
            }
        } else {
            if found.name != projection.key_name {
                ctx.error(
                    Pos::of(field),
                    format!(
                        "`get_by` must be the key of `{}`, which is `{}`",
                        projection.name, projection.key_name
                    ),
                    "not the key",
                    Some(format!(
                        "write `get_by: {}`, or use `list_by: {}` for several rows",
                        projection.key_name, found.name
                    )),
                );
                continue;
            }
            ir::QueryKind::Get {
                field: found.clone(),
            }
        };
        resolved.push(Resolved {
            name: name.value.clone(),
            projection: index,
            kind,
        });
    }
    resolved
}

/// Why a field makes a poor Cassandra partition key for a list, and what to do instead; `None`
/// when it makes a good one.
pub(super) fn poor_cassandra_partition(ty: &Type) -> Option<(&'static str, &'static str)> {
    match ty {
        Type::Bool => Some((
            "a `bool` puts every row in one of two partitions, which grow without bound and \
             cannot be spread over the cluster",
            "list by a field with many values (an id, a date), or keep this list on \
             `read: postgres`",
        )),
        Type::Float => Some((
            "rows are found by the exact value of the field, and a `float` rarely equals what a \
             query passes",
            "list by a field compared exactly (an id, a string, an int)",
        )),
        _ => None,
    }
}
