//! `copy:` in projection handlers: fields copied from the row of another projection (a join
//! done at write time). Checked once every projection is drafted, since a copy names another.

use serde_saphyr::Spanned;

use super::ctx::Ctx;
use super::names;
use super::projections::Draft;
use crate::model::ast::{self, NamedMap, Pos};
use crate::model::ir;

/// Resolves every handler's `copy:` into its drafted handler, and refuses projections that
/// copy from each other in a circle.
pub(super) fn copies(
    ctx: &mut Ctx,
    written: &NamedMap<ast::Projection>,
    aggregates: &[ir::Aggregate],
    drafts: &mut [Draft],
) {
    let mut resolved: Vec<(usize, String, Vec<ir::Copy>)> = Vec::new();
    for (at, (name, projection)) in written.iter().enumerate() {
        for (event, changes) in projection.on.iter() {
            if changes.copy.is_empty() {
                continue;
            }
            let Some(handler) = drafts[at]
                .handlers
                .iter()
                .find(|h| h.event.name == event.value)
            else {
                continue; // the handler did not resolve, which is reported
            };
            let on = Copying {
                projection: &name.value,
                handler,
                aggregate: aggregates.iter().find(|a| a.name == handler.aggregate),
                drafts,
            };
            let copies = changes
                .copy
                .iter()
                .filter_map(|copy| on.copy(ctx, copy))
                .collect();
            resolved.push((at, event.value.clone(), copies));
        }
    }
    for (at, event, copies) in resolved {
        if let Some(handler) = drafts[at]
            .handlers
            .iter_mut()
            .find(|h| h.event.name == event)
        {
            handler.copies = copies;
        }
    }
    refuse_circles(ctx, written, drafts);
    refuse_chains(ctx, written, drafts);
}

/// What one handler's copies are checked against.
struct Copying<'a> {
    projection: &'a str,
    handler: &'a ir::Handler,
    aggregate: Option<&'a ir::Aggregate>,
    drafts: &'a [Draft],
}

impl Copying<'_> {
    fn copy(&self, ctx: &mut Ctx, copy: &Spanned<ast::Copy>) -> Option<ir::Copy> {
        let written = &copy.value;
        let Some(from) = &written.from else {
            ctx.error(
                Pos::of(copy),
                "a copy names the projection it copies from",
                "missing `from`",
                Some("add `from: <Projection>`".into()),
            );
            return None;
        };
        let source = self.source(ctx, from)?;
        if self.handler.changes.contains(&ir::ChangeOp::Delete) {
            ctx.error(
                Pos::of(from),
                "a handler that deletes its row has nothing to copy onto",
                "copy on a deleted row",
                None,
            );
            return None;
        }
        let source_key = source.key.as_ref()?;
        let key = self.key(ctx, copy, source_key)?;
        let set = self.fields(ctx, copy, source);
        let aggregate = keeping_aggregate(ctx, from, source, &set)?;
        (!set.is_empty()).then(|| ir::Copy {
            from: source.name.clone(),
            key,
            numeric_key: source_key.ty == ir::Type::Int,
            aggregate,
            set,
        })
    }

    /// The projection `from` names: another of this service.
    fn source(&self, ctx: &mut Ctx, from: &Spanned<String>) -> Option<&Draft> {
        if from.value == self.projection {
            ctx.error(
                Pos::of(from),
                format!("`{}` copies from itself", self.projection),
                "its own projection",
                Some(
                    "a handler changes its own row with `set`; `copy` reads another projection's"
                        .into(),
                ),
            );
            return None;
        }
        let found = self.drafts.iter().find(|d| d.name == from.value);
        if found.is_none() {
            let hint =
                names::did_you_mean(&from.value, self.drafts.iter().map(|d| d.name.as_str()))
                    .or_else(|| {
                        Some("a copy reads a row of another projection of this model".into())
                    });
            ctx.error(
                Pos::of(from),
                format!("no projection `{}`", from.value),
                "unknown projection",
                hint,
            );
        }
        found
    }

    /// The row's key: an event field, or the id of the aggregate that recorded the event, of
    /// the type of `from`'s key.
    fn key(
        &self,
        ctx: &mut Ctx,
        copy: &Spanned<ast::Copy>,
        source_key: &ir::Field,
    ) -> Option<ir::WhereValue> {
        let Some(key) = &copy.value.key else {
            ctx.error(
                Pos::of(copy),
                "a copy names the row it copies from by its key",
                "missing `key`",
                Some(format!(
                    "add `key: <event field>`, a value of `{}`'s key `{}`",
                    source_key.name, source_key.ty
                )),
            );
            return None;
        };
        let event = &self.handler.event;
        let (value, ty) = match self.aggregate {
            Some(aggregate) if key.value == aggregate.id.name => {
                (ir::WhereValue::AggregateId, &aggregate.id.ty)
            }
            aggregate => match event.fields.iter().find(|f| f.name == key.value) {
                Some(field) => (ir::WhereValue::EventField(field.clone()), &field.ty),
                None => {
                    let hint = names::did_you_mean(
                        &key.value,
                        event.fields.iter().map(|f| f.name.as_str()),
                    )
                    .or_else(|| {
                        aggregate.map(|a| {
                            format!(
                                "name a field of `{}`, or `{}`, the id of the aggregate \
                                         that records it",
                                event.name, a.id.name
                            )
                        })
                    });
                    ctx.error(
                        Pos::of(key),
                        format!("event `{}` has no field `{}`", event.name, key.value),
                        "not a field of the event",
                        hint,
                    );
                    return None;
                }
            },
        };
        if *ty != source_key.ty {
            ctx.error(
                Pos::of(key),
                format!(
                    "`{}` is `{ty}`, but the key `{}` of the row it names is `{}`",
                    key.value, source_key.name, source_key.ty
                ),
                format!("expected `{}`", source_key.ty),
                None,
            );
            return None;
        }
        Some(value)
    }

    /// `set: { <field of this row>: <field of that row> }`, each of a type the other takes.
    fn fields(
        &self,
        ctx: &mut Ctx,
        copy: &Spanned<ast::Copy>,
        source: &Draft,
    ) -> Vec<ir::CopiedField> {
        let Some(target) = self.drafts.iter().find(|d| d.name == self.projection) else {
            return Vec::new();
        };
        if copy.value.set.0.is_empty() {
            ctx.error(
                Pos::of(copy),
                "the copy sets no field",
                "nothing copied",
                Some("add `set: { <field of this row>: <field of that row> }`".into()),
            );
        }
        let mut set = Vec::new();
        for (name, from) in copy.value.set.iter() {
            let Some(to) = lookup(ctx, name, target, "this projection") else {
                continue;
            };
            if target.key_name == to.name {
                ctx.error(
                    Pos::of(name),
                    format!("`{}` is the key, always filled from the row's key", to.name),
                    "the key",
                    None,
                );
                continue;
            }
            let Some(field) = lookup(ctx, from, source, &format!("`{}`", source.name)) else {
                continue;
            };
            let wrap_some =
                to.ty != field.ty && to.ty == ir::Type::Optional(Box::new(field.ty.clone()));
            if to.ty != field.ty && !wrap_some {
                ctx.error(
                    Pos::of(from),
                    format!(
                        "`{}.{}` is `{}`, but `{}` is `{}`",
                        source.name, field.name, field.ty, to.name, to.ty
                    ),
                    format!("expected `{}`", to.ty),
                    None,
                );
                continue;
            }
            set.push(ir::CopiedField {
                target: to.clone(),
                source: field.clone(),
                wrap_some,
            });
        }
        set
    }
}

/// The field `name` of `draft`, reported when missing.
fn lookup<'d>(
    ctx: &mut Ctx,
    name: &Spanned<String>,
    draft: &'d Draft,
    whose: &str,
) -> Option<&'d ir::Field> {
    let found = draft.fields.iter().find(|f| f.name == name.value);
    if found.is_none() && !ctx.reported(&name.value) {
        let hint = names::did_you_mean(&name.value, draft.fields.iter().map(|f| f.name.as_str()));
        ctx.error(
            Pos::of(name),
            format!("{whose} has no field `{}`", name.value),
            "not a field",
            hint,
        );
    }
    found
}

/// The aggregate whose own events (keyed by its id) are all that change the copied fields of
/// `source`: on a partitioned broker, how fresh a row is can only be told on one aggregate.
fn keeping_aggregate(
    ctx: &mut Ctx,
    from: &Spanned<String>,
    source: &Draft,
    set: &[ir::CopiedField],
) -> Option<String> {
    let copied = |handler: &&ir::Handler| {
        handler.changes.iter().any(|change| {
            change
                .target()
                .is_some_and(|target| set.iter().any(|f| f.source.name == target.name))
        })
    };
    let changing: Vec<&ir::Handler> = source.handlers.iter().filter(copied).collect();
    let own = |handler: &&ir::Handler| handler.key == ir::RowKey::AggregateId;
    if let Some(other) = changing.iter().find(|h| !own(h)) {
        ctx.error(
            Pos::of(from),
            format!(
                "`{}` changes a copied field on `{}`, but on a row it does not name by its own \
                 aggregate's id",
                source.name, other.event.name
            ),
            "copied fields kept by other events",
            Some(
                "a copy is as fresh as the events of the aggregate whose id keys the row: copy \
                 fields only that aggregate's own events change"
                    .into(),
            ),
        );
        return None;
    }
    let keeping: Vec<&ir::Handler> = if changing.is_empty() {
        source.handlers.iter().filter(own).collect()
    } else {
        changing
    };
    let Some(first) = keeping.first() else {
        ctx.error(
            Pos::of(from),
            format!(
                "no aggregate keeps the rows of `{}` under its own id",
                source.name
            ),
            "nothing to copy",
            None,
        );
        return None;
    };
    if let Some(other) = keeping.iter().find(|h| h.aggregate != first.aggregate) {
        ctx.error(
            Pos::of(from),
            format!(
                "the copied fields of `{}` are changed by events of `{}` and of `{}`",
                source.name, first.aggregate, other.aggregate
            ),
            "kept by two aggregates",
            Some("copy fields that one aggregate's own events change".into()),
        );
        return None;
    }
    Some(first.aggregate.clone())
}

/// Projections copying from each other in a circle would each wait for the other to catch up.
fn refuse_circles(ctx: &mut Ctx, written: &NamedMap<ast::Projection>, drafts: &[Draft]) {
    let reads = |name: &str| -> Vec<String> {
        drafts
            .iter()
            .filter(|d| d.name == name)
            .flat_map(|d| d.handlers.iter().flat_map(|h| &h.copies))
            .map(|copy| copy.from.clone())
            .collect()
    };
    for (name, projection) in written.iter() {
        // Whether `name` is reached again from what it reads.
        let mut seen: Vec<String> = Vec::new();
        let mut next = reads(&name.value);
        while let Some(read) = next.pop() {
            if read == name.value {
                let from = projection
                    .on
                    .iter()
                    .flat_map(|(_, changes)| &changes.copy)
                    .find_map(|copy| copy.value.from.as_ref());
                ctx.error(
                    from.map_or_else(|| Pos::of(name), Pos::of),
                    format!("`{}` copies, through others, from itself", name.value),
                    "copies in a circle",
                    Some("each projection would wait for the other to catch up first".into()),
                );
                break;
            }
            if !seen.contains(&read) {
                next.extend(reads(&read));
                seen.push(read);
            }
        }
    }
}

/// A copy of a field its source fills by copying it from a third projection: how fresh it is
/// would be measured on the source's aggregate, while another's events change it.
fn refuse_chains(ctx: &mut Ctx, written: &NamedMap<ast::Projection>, drafts: &[Draft]) {
    let copies = written.iter().flat_map(|(name, projection)| {
        projection
            .on
            .iter()
            .flat_map(|(_, changes)| &changes.copy)
            .map(move |copy| (name, copy))
    });
    for (name, copy) in copies {
        // A copy from itself is reported already.
        let Some(from) = copy
            .value
            .from
            .as_ref()
            .filter(|from| from.value != name.value)
        else {
            continue;
        };
        let Some(source) = drafts.iter().find(|draft| draft.name == from.value) else {
            continue;
        };
        let read: Vec<&str> = copy
            .value
            .set
            .iter()
            .map(|(_, f)| f.value.as_str())
            .collect();
        let chained = source.handlers.iter().find(|handler| {
            handler
                .copies
                .iter()
                .flat_map(|copy| &copy.set)
                .any(|field| read.contains(&field.target.name.as_str()))
        });
        if let Some(handler) = chained {
            ctx.error(
                Pos::of(from),
                format!(
                    "`{}` copies a field this copy reads, on `{}`, from another projection",
                    source.name, handler.event.name
                ),
                "a copy of a copy",
                Some("copy the field from the projection that keeps it".into()),
            );
        }
    }
}
