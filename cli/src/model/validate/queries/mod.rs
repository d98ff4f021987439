//! Queries: one row by key (`get_by`), rows by fields (`list_by`) or every row (`list_all`) of
//! a projection, in key order or in the order of a field (`order_by`, `range`).

mod order;
mod summary;

use std::sync::Arc;

use super::ctx::Ctx;
use super::names;
use super::projections::Draft;
use super::roles;
use serde_saphyr::Spanned;

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
    roles: Vec<String>,
}

impl Resolved {
    /// The query, on its projection among `projections` (`None` where that did not resolve).
    pub fn finish(self, projections: &[Option<Arc<ir::Projection>>]) -> Option<ir::Query> {
        let projection = projections.get(self.projection)?.as_ref()?;
        Some(ir::Query {
            name: self.name,
            projection: Arc::clone(projection),
            kind: self.kind,
            roles: self.roles,
        })
    }
}

/// Also records on each projection the indexes its list queries read.
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
        // Each query's watch handler is `<query>_watch`, and a count's one-group handler
        // `<query>_group`: another query of that name would clash with it.
        let derived = queries.iter().find_map(|(other, written)| {
            let suffix = if written.count_by.is_some() {
                "_group"
            } else {
                "_watch"
            };
            (format!("{}{suffix}", other.value) == name.value).then_some((other, suffix))
        });
        if let Some((other, suffix)) = derived {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` is the name of the `{suffix}` route query `{}` serves already",
                    name.value, other.value
                ),
                "name taken",
                Some("name the query for what it answers, without that ending".into()),
            );
            continue;
        }
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
                .map(|fields| (Pos::of(&fields.0), "list_by")),
            query
                .list_all
                .as_ref()
                .map(|all| (Pos::of(all), "list_all")),
            query.count_by.as_ref().map(|by| (Pos::of(by), "count_by")),
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
                        "query `{}` has none of `get_by`, `list_by`, `list_all` and `count_by`",
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
        if query.sum.is_some() && query.count_by.is_none() {
            let sum = query.sum.as_ref().map_or(Pos::START, Pos::of);
            ctx.error(
                sum,
                "`sum` adds fields up per group of `count_by`, and this query has none",
                "no groups",
                Some("add `count_by: <field>`, or remove `sum`".into()),
            );
            continue;
        }
        if let Some(by) = &query.count_by {
            if query.order_by.is_some() || query.range.is_some() {
                order::refuse_for_count(ctx, query);
                continue;
            }
            let Some(kind) = summary::count(ctx, by, query.sum.as_ref(), projection, read_store)
            else {
                continue;
            };
            resolved.push(Resolved {
                name: name.value.clone(),
                projection: index,
                kind,
                roles: roles::roles(ctx, query.roles.as_ref(), &name.value),
            });
            continue;
        }
        let order = order::order(ctx, query, projection, read_store);
        let order = match order {
            Ok(order) => order,
            Err(()) => continue,
        };
        let kind = if let Some(all) = &query.list_all {
            if !all.value {
                ctx.error(
                    Pos::of(all),
                    "`list_all: false` selects nothing",
                    "selects nothing",
                    Some("write `list_all: true`, or remove the query".into()),
                );
                continue;
            }
            match order {
                None => ir::QueryKind::ListAll,
                Some((order, range)) => {
                    if read_store == ir::ReadStore::Cassandra {
                        order::refuse_unpartitioned(ctx, query);
                        continue;
                    }
                    ir::QueryKind::Find {
                        equal: Vec::new(),
                        order: Some(order),
                        range,
                    }
                }
            }
        } else if let Some(fields) = &query.list_by {
            let Some(equal) = list_fields(ctx, fields, projection, read_store) else {
                continue;
            };
            match (equal.as_slice(), order) {
                ([term], None) if term.text == term.param.name => ir::QueryKind::List {
                    field: term.param.clone(),
                },
                (_, order) => {
                    let (order, range) = order.unzip();
                    ir::QueryKind::Find {
                        equal,
                        order,
                        range: range.unwrap_or(false),
                    }
                }
            }
        } else if let Some(field) = &query.get_by {
            if order.is_some() {
                order::refuse_for_get(ctx, query);
                continue;
            }
            let Some(found) = field_of(ctx, projection, field) else {
                continue;
            };
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
            ir::QueryKind::Get { field: found }
        } else {
            unreachable!("one selector")
        };
        if let Some(lookup) = index_of(&kind)
            && !projection.indexes.contains(&lookup)
        {
            projection.indexes.push(lookup);
        }
        resolved.push(Resolved {
            name: name.value.clone(),
            projection: index,
            kind,
            roles: roles::roles(ctx, query.roles.as_ref(), &name.value),
        });
    }
    resolved
}

/// The index a query reads, if it reads one.
fn index_of(kind: &ir::QueryKind) -> Option<ir::Index> {
    match kind {
        ir::QueryKind::List { field } => Some(ir::Index::by(&field.name)),
        ir::QueryKind::Find { equal, order, .. } => Some(ir::Index {
            equal: equal.iter().map(|term| term.text.clone()).collect(),
            order: order.as_ref().map(|order| order.field.name.clone()),
        }),
        ir::QueryKind::Get { .. } | ir::QueryKind::ListAll | ir::QueryKind::Count { .. } => None,
    }
}

/// The field of `projection` named `field`, or `None` with the error reported.
pub(super) fn field_of(
    ctx: &mut Ctx,
    projection: &Draft,
    field: &Spanned<String>,
) -> Option<ir::Field> {
    if let Some(found) = projection.fields.iter().find(|f| f.name == field.value) {
        return Some(found.clone());
    }
    if !ctx.reported(&field.value) {
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
    }
    None
}

/// The terms of `list_by`, each once: a plain field of the projection, a plain field of one of
/// its value objects (`address.city`), or a list of plain elements (each element compared),
/// each making a good partition on Cassandra; `None` when one is not, with every error
/// reported.
fn list_fields(
    ctx: &mut Ctx,
    fields: &ast::Names,
    projection: &Draft,
    read_store: ir::ReadStore,
) -> Option<Vec<ir::Term>> {
    if fields.0.value.is_empty() {
        ctx.error(
            Pos::of(&fields.0),
            "`list_by: []` names no field",
            "no field",
            Some("name the fields the path gives, like `list_by: [member_id, status]`".into()),
        );
        return None;
    }
    let mut equal: Vec<ir::Term> = Vec::new();
    let mut clean = true;
    for field in &fields.0.value {
        let Some(term) = term_of(ctx, projection, field) else {
            clean = false;
            continue;
        };
        if equal.iter().any(|seen| seen.text == term.text) {
            ctx.error(
                Pos::of(field),
                format!("`{}` is listed twice", field.value),
                "listed twice",
                Some("name each field once".into()),
            );
            clean = false;
            continue;
        }
        if read_store == ir::ReadStore::Cassandra
            && let Some((why, instead)) = poor_cassandra_partition(&term.param.ty)
        {
            ctx.error(
                Pos::of(field),
                format!(
                    "Cassandra cannot serve `list_by: {}` well: {why}",
                    field.value
                ),
                "poor partition key on Cassandra",
                Some(format!(
                    "a Cassandra list is one partition keyed by the listed fields; {instead}"
                )),
            );
            clean = false;
            continue;
        }
        equal.push(term);
    }
    clean.then_some(equal)
}

/// What `list_by` compares for one name: a field, a field of a value object reached by `.`,
/// each element of a list field, or a field of each element of a list of value objects
/// (`lines.product_id`). Reported, and `None`, when it names nothing or something that
/// cannot be compared (optional, a value object whole, a list of lists or values).
fn term_of(ctx: &mut Ctx, projection: &Draft, written: &Spanned<String>) -> Option<ir::Term> {
    let mut parts = written.value.split('.');
    let head = Spanned::new(
        parts.next().unwrap_or_default().to_owned(),
        written.referenced,
        written.defined,
    );
    let field = field_of(ctx, projection, &head)?;
    let mut ty = field.ty.clone();
    let mut rules = field.rules.clone();
    // The written path, with `[]` after the list it goes through (`lines[].product_id`).
    let mut text = head.value.clone();
    for part in parts {
        if let Type::List(element) = &ty
            && matches!(**element, Type::Value(_))
            && !text.contains("[]")
        {
            // A field of each element of a list of value objects.
            ty = (**element).clone();
            text.push_str("[]");
        }
        text.push('.');
        text.push_str(part);
        let Type::Value(value) = &ty else {
            ctx.error(
                Pos::of(written),
                format!("`{}` is `{ty}`, which has no field `{part}`", written.value),
                "not a value object",
                Some("only a value object's fields are reached with `.`".into()),
            );
            return None;
        };
        let Some(inner) = value.fields.iter().find(|f| f.name == part) else {
            ctx.error(
                Pos::of(written),
                format!("value object `{}` has no field `{part}`", value.name),
                "not a field of the value object",
                names::did_you_mean(part, value.fields.iter().map(|f| f.name.as_str())),
            );
            return None;
        };
        (ty, rules) = (inner.ty.clone(), inner.rules.clone());
    }
    let (text, ty) = match ty {
        Type::List(element) if !text.contains("[]") => (format!("{text}[]"), *element),
        ty => (text, ty),
    };
    if matches!(ty, Type::Optional(_) | Type::List(_) | Type::Value(_)) {
        ctx.error(
            Pos::of(written),
            format!(
                "cannot list by `{}`, which is `{}`",
                written.value, field.ty
            ),
            "not a plain field",
            Some(
                "`list_by` takes fields that are not optional or value objects (reach one of \
                 its fields with `.`), lists of such, and a field of each element of a list \
                 of value objects (`lines.product_id`)"
                    .into(),
            ),
        );
        return None;
    }
    Some(ir::Term {
        param: ir::Field {
            name: written.value.replace('.', "_"),
            ty,
            rules,
        },
        text,
    })
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
