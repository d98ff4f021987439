//! A list's order (`order_by: due_on desc`) and range (`range: due_on`), and what each store
//! can serve of them.

use super::field_of;
use crate::model::ast::{self, Pos};
use crate::model::ir;
use crate::model::validate::ctx::Ctx;
use crate::model::validate::projections::Draft;

/// The order `query` declares and whether it takes a range, `None` when it declares neither;
/// `Err` when either is wrong, with every error reported.
pub(super) fn order(
    ctx: &mut Ctx,
    query: &ast::Query,
    projection: &Draft,
    read_store: ir::ReadStore,
) -> Result<Option<(ir::Order, bool)>, ()> {
    let by = match &query.order_by {
        Some(written) => {
            let words: Vec<&str> = written.value.split_whitespace().collect();
            let descending = match words.as_slice() {
                [_] | [_, "asc"] => false,
                [_, "desc"] => true,
                _ => {
                    ctx.error(
                        Pos::of(written),
                        format!("cannot read `order_by: {}`", written.value),
                        "not an order",
                        Some("write a field, then `asc` or `desc` if you like: `order_by: due_on desc`".into()),
                    );
                    return Err(());
                }
            };
            let field = serde_saphyr::Spanned::new(
                words[0].to_owned(),
                written.referenced,
                written.defined,
            );
            Some((field, descending))
        }
        None => None,
    };
    let by = match (by, &query.range) {
        (None, None) => return Ok(None),
        (Some((field, descending)), range) => {
            if let Some(range) = range.as_ref().filter(|range| range.value != field.value) {
                ctx.error(
                    Pos::of(range),
                    format!(
                        "`range: {}` narrows a list ordered by `{}`",
                        range.value, field.value
                    ),
                    "not the order's field",
                    Some(format!(
                        "a range is taken of the order: write `range: {}`, or order by `{}`",
                        field.value, range.value
                    )),
                );
                return Err(());
            }
            (field, descending)
        }
        // A range alone orders by its field, ascending.
        (None, Some(range)) => (range.clone(), false),
    };
    let (written, descending) = by;
    let field = field_of(ctx, projection, &written).ok_or(())?;
    let refuse = |ctx: &mut Ctx, message: String, hint: String| {
        ctx.error(Pos::of(&written), message, "no order to use", Some(hint));
        Err(())
    };
    if field.name == projection.key_name {
        return refuse(
            ctx,
            format!("every list is in `{}` order already", field.name),
            "order by another field, or leave `order_by` out".into(),
        );
    }
    if query
        .list_by
        .as_ref()
        .is_some_and(|fields| fields.0.value.iter().any(|f| f.value == field.name))
    {
        return refuse(
            ctx,
            format!(
                "`{}` is listed by: every row of a list holds the same `{}`",
                field.name, field.name
            ),
            "order by a field the list does not fix".into(),
        );
    }
    let (column, nullable) = field.ty.column_type();
    if nullable {
        return refuse(
            ctx,
            format!(
                "cannot order by `{}`, which is optional: a row without it has no place in the order",
                field.name
            ),
            "order by a field every row has".into(),
        );
    }
    if let Some(why) = column.order_refusal(read_store != ir::ReadStore::Postgres) {
        return refuse(
            ctx,
            format!("cannot order by `{}` (`{}`): {why}", field.name, field.ty),
            "order by a number, a string, a date or a timestamp".into(),
        );
    }
    Ok(Some((
        ir::Order { field, descending },
        query.range.is_some(),
    )))
}

/// A `get_by` query with an order or a range.
pub(super) fn refuse_for_get(ctx: &mut Ctx, query: &ast::Query) {
    let at = query.order_by.as_ref().or(query.range.as_ref());
    ctx.error(
        at.map_or(Pos::START, Pos::of),
        "a `get_by` query answers one row: there is nothing to order",
        "one row",
        Some("use `list_by` or `list_all: true` for an ordered list".into()),
    );
}

/// `list_all` with an order, on Cassandra.
pub(super) fn refuse_unpartitioned(ctx: &mut Ctx, query: &ast::Query) {
    let at = query.order_by.as_ref().or(query.range.as_ref());
    ctx.error(
        at.map_or(Pos::START, Pos::of),
        "Cassandra cannot order every row: it orders rows only within a partition, and this \
         list would read every partition and sort them",
        "no partition to order within",
        Some(
            "add `list_by` with a field to partition by (a status, a month), or keep this list \
             on `read: postgres`"
                .into(),
        ),
    );
}

/// A `count_by` query with an order or a range.
pub(super) fn refuse_for_count(ctx: &mut Ctx, query: &ast::Query) {
    let at = query.order_by.as_ref().or(query.range.as_ref());
    ctx.error(
        at.map_or(Pos::START, Pos::of),
        "a `count_by` query answers groups, in the order of their value",
        "groups have their own order",
        Some("remove `order_by` and `range`".into()),
    );
}
