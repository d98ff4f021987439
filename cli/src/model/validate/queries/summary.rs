//! `count_by: status` with `sum: [total]`: a projection's rows counted, and number fields
//! summed, per value of a field.

use serde_saphyr::Spanned;

use super::{field_of, poor_cassandra_partition};
use crate::model::ast::Pos;
use crate::model::ir::{self, Type};
use crate::model::validate::ctx::Ctx;
use crate::model::validate::projections::Draft;

/// The count query, with its summary (and the index by its field, which Cassandra adds groups
/// up from) recorded on `projection`; `None` when a field is wrong, with every error reported.
pub(super) fn count(
    ctx: &mut Ctx,
    by: &Spanned<String>,
    sum: Option<&Spanned<Vec<Spanned<String>>>>,
    projection: &mut Draft,
    read_store: ir::ReadStore,
) -> Option<ir::QueryKind> {
    let mut clean = true;
    let group = field_of(ctx, projection, by);
    if let Some(group) = &group {
        if matches!(group.ty, Type::Optional(_) | Type::List(_) | Type::Value(_)) {
            ctx.error(
                Pos::of(by),
                format!("cannot count by `{}`, which is `{}`", group.name, group.ty),
                "not a plain field",
                Some(
                    "`count_by` takes a field that is not optional, a list or a value object"
                        .into(),
                ),
            );
            clean = false;
        } else if read_store == ir::ReadStore::Cassandra
            && let Some((why, instead)) = poor_cassandra_partition(&group.ty)
        {
            ctx.error(
                Pos::of(by),
                format!(
                    "Cassandra cannot serve `count_by: {}` well: {why}",
                    group.name
                ),
                "poor partition key on Cassandra",
                Some(format!(
                    "Cassandra adds a group up from its partition of the index by the field; \
                     {instead}"
                )),
            );
            clean = false;
        }
    }
    let mut sums: Vec<ir::Field> = Vec::new();
    for written in sum.map(|sum| sum.value.as_slice()).unwrap_or_default() {
        let Some(field) = field_of(ctx, projection, written) else {
            clean = false;
            continue;
        };
        let number = match field.ty {
            Type::Int | Type::Float => true,
            Type::Decimal => read_store == ir::ReadStore::Postgres,
            _ => false,
        };
        if !number {
            let why = if field.ty == Type::Decimal {
                "this read store keeps decimals as text, which it cannot add up exactly (sum an \
                 int of the smallest unit, or keep the read model on PostgreSQL)"
            } else {
                "only an `int`, a `float` or a `decimal` that every row has adds up"
            };
            ctx.error(
                Pos::of(written),
                format!("cannot sum `{}` (`{}`)", field.name, field.ty),
                "not a number",
                Some(why.into()),
            );
            clean = false;
            continue;
        }
        if sums.iter().any(|seen| seen.name == field.name) {
            ctx.error(
                Pos::of(written),
                format!("`{}` is summed twice", field.name),
                "summed twice",
                Some("name each field once".into()),
            );
            clean = false;
            continue;
        }
        sums.push(field);
    }
    let group = group.filter(|_| clean)?;
    let summary = ir::Summary {
        by: group.name.clone(),
        sums: sums.iter().map(|field| field.name.clone()).collect(),
    };
    if let Some(other) = projection.summaries.iter().find(|s| s.by == summary.by) {
        if *other != summary {
            ctx.error(
                Pos::of(by),
                format!(
                    "`{}` is counted by `{}` already, with other sums",
                    projection.name, summary.by
                ),
                "counted twice",
                Some("sum every field in one query".into()),
            );
            return None;
        }
    } else {
        projection.summaries.push(summary);
    }
    let index = ir::Index::by(&group.name);
    if !projection.indexes.contains(&index) {
        projection.indexes.push(index);
    }
    Some(ir::QueryKind::Count { by: group, sums })
}
