//! The change vocabulary shared by event `apply` blocks and projection `on` handlers.

use serde_saphyr::Spanned;

use super::ctx::Ctx;
use super::literals::literal;
use super::names;
use super::types::is_numeric;
use crate::model::ast::{self, Pos, Scalar};
use crate::model::ir::{ChangeOp, Field, Operand, Type};

/// What the changes of one event apply to.
pub(super) struct Scope<'s> {
    /// "the state of `Order`" or "projection `OrderSummary`".
    pub target_owner: String,
    pub targets: &'s [Field],
    pub event: &'s str,
    pub sources: &'s [Field],
    /// The projection's key field, which no change may touch; `None` for aggregate state.
    pub key: Option<&'s str>,
}

impl Scope<'_> {
    fn target(&self, ctx: &mut Ctx, name: &Spanned<String>) -> Option<Field> {
        if self.key == Some(name.value.as_str()) {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` is the key of {}; a change cannot target it",
                    name.value, self.target_owner
                ),
                "the key is not a change target",
                Some("the key field is always filled from the row's key".into()),
            );
            return None;
        }
        let found = self.targets.iter().find(|f| f.name == name.value).cloned();
        if found.is_none() && !ctx.reported(&name.value) {
            let hint =
                names::did_you_mean(&name.value, self.targets.iter().map(|f| f.name.as_str()));
            ctx.error(
                Pos::of(name),
                format!("{} has no field `{}`", self.target_owner, name.value),
                "unknown field",
                hint,
            );
        }
        found
    }

    fn source(&self, ctx: &mut Ctx, name: &Spanned<String>) -> Option<Field> {
        let found = self.sources.iter().find(|f| f.name == name.value).cloned();
        if found.is_none() && !ctx.reported(&name.value) {
            let hint =
                names::did_you_mean(&name.value, self.sources.iter().map(|f| f.name.as_str()))
                    .or_else(|| {
                        Some(format!(
                            "the fields of `{}` are: {}",
                            self.event,
                            field_list(self.sources)
                        ))
                    });
            ctx.error(
                Pos::of(name),
                format!("event `{}` has no field `{}`", self.event, name.value),
                "not a field of the event",
                hint,
            );
        }
        found
    }
}

/// `set: { target: null }`: only an optional target can hold nothing.
fn clear(ctx: &mut Ctx, at: &Spanned<Option<String>>, target: Field) -> Option<ChangeOp> {
    if !matches!(target.ty, Type::Optional(_)) {
        ctx.error(
            Pos::of(at),
            format!(
                "`{}` is `{}`, which always holds a value: it cannot be cleared",
                target.name, target.ty
            ),
            "not optional",
            Some(format!(
                "declare `{}: {}?` to let it hold nothing",
                target.name, target.ty
            )),
        );
        return None;
    }
    Some(ChangeOp::Clear { target })
}

fn field_list(fields: &[Field]) -> String {
    if fields.is_empty() {
        return "(none)".into();
    }
    fields
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks one block of changes. `key` and `delete` are the caller's business (projections only).
pub(super) fn changes(ctx: &mut Ctx, changes: &ast::Changes, scope: &Scope) -> Vec<ChangeOp> {
    let mut ops = Vec::new();
    for (target, source) in changes.set.iter() {
        let Some(named) = &source.value else {
            if let Some(t) = scope.target(ctx, target) {
                ops.extend(clear(ctx, source, t));
            }
            continue;
        };
        let source = &Spanned::new(named.clone(), source.referenced, source.defined);
        let (Some(t), Some(s)) = (scope.target(ctx, target), scope.source(ctx, source)) else {
            continue;
        };
        let wrap_some = if t.ty == s.ty {
            false
        } else if t.ty == Type::Optional(Box::new(s.ty.clone())) {
            true
        } else {
            mismatch(ctx, source, "set", &t, "from", &s);
            continue;
        };
        ops.push(ChangeOp::Set {
            target: t,
            source: s,
            wrap_some,
        });
    }
    for (target, value) in changes.set_const.iter() {
        let Some(t) = scope.target(ctx, target) else {
            continue;
        };
        if let Some(value) = literal(ctx, value, &t.ty, &t.name) {
            ops.push(ChangeOp::SetConst { target: t, value });
        }
    }
    for (increment, block) in [(true, &changes.increment), (false, &changes.decrement)] {
        for (target, by) in block.iter() {
            let Some(t) = scope.target(ctx, target) else {
                continue;
            };
            if !is_numeric(&t.ty) {
                let verb = if increment { "increment" } else { "decrement" };
                ctx.error(
                    Pos::of(target),
                    format!("cannot {verb} `{}`, which is `{}`", t.name, t.ty),
                    "not a number",
                    Some(format!("`{verb}` works on int, float and decimal fields")),
                );
                continue;
            }
            let verb = if increment { "increment" } else { "decrement" };
            let Some(by) = operand(ctx, by, verb, &t, scope) else {
                continue;
            };
            ops.push(if increment {
                ChangeOp::Increment { target: t, by }
            } else {
                ChangeOp::Decrement { target: t, by }
            });
        }
    }
    for (target, source) in changes.append.iter() {
        let (Some(t), Some(s)) = (scope.target(ctx, target), scope.source(ctx, source)) else {
            continue;
        };
        match &t.ty {
            Type::List(element) if **element == s.ty => {
                ops.push(ChangeOp::Append {
                    target: t,
                    source: s,
                });
            }
            Type::List(element) => element_mismatch(ctx, source, &t, element, &s),
            _ => not_a_list(ctx, target, &t, "append"),
        }
    }
    for (target, source) in changes.remove.iter() {
        let (Some(t), Some(s)) = (scope.target(ctx, target), scope.source(ctx, source)) else {
            continue;
        };
        let Type::List(element) = &t.ty else {
            not_a_list(ctx, target, &t, "remove");
            continue;
        };
        if **element == s.ty {
            ops.push(ChangeOp::Remove {
                target: t,
                source: s,
                by_field: None,
            });
            continue;
        }
        // A list of value objects: remove the elements whose same-named field equals the source.
        let by_field = match element.as_ref() {
            Type::Value(value) => value
                .fields
                .iter()
                .find(|f| f.name == s.name && f.ty == s.ty),
            _ => None,
        };
        match by_field {
            Some(by) => {
                let by_field = Some(by.clone());
                ops.push(ChangeOp::Remove {
                    target: t,
                    source: s,
                    by_field,
                });
            }
            None => element_mismatch(ctx, source, &t, element, &s),
        }
    }
    ops
}

fn operand(
    ctx: &mut Ctx,
    by: &Spanned<Scalar>,
    verb: &str,
    target: &Field,
    scope: &Scope,
) -> Option<Operand> {
    let Scalar::Str(name) = &by.value else {
        return literal(ctx, by, &target.ty, &target.name).map(Operand::Literal);
    };
    let named = Spanned::new(name.clone(), by.referenced, by.defined);
    let source = scope.source(ctx, &named)?;
    if source.ty != target.ty {
        mismatch(ctx, &named, verb, target, "by", &source);
        return None;
    }
    Some(Operand::Field(source))
}

fn mismatch(
    ctx: &mut Ctx,
    at: &Spanned<String>,
    verb: &str,
    target: &Field,
    preposition: &str,
    source: &Field,
) {
    ctx.error(
        Pos::of(at),
        format!(
            "cannot {verb} `{}` (`{}`) {preposition} `{}` (`{}`)",
            target.name, target.ty, source.name, source.ty
        ),
        format!("expected `{}`", target.ty),
        None,
    );
}

fn element_mismatch(
    ctx: &mut Ctx,
    at: &Spanned<String>,
    target: &Field,
    element: &Type,
    source: &Field,
) {
    let hint = match element {
        Type::Value(value) => Some(format!(
            "to remove by a field of `{}`, give the event a field of the same name and type",
            value.name
        )),
        _ => None,
    };
    ctx.error(
        Pos::of(at),
        format!(
            "`{}` holds `{}` elements but `{}` is `{}`",
            target.name, element, source.name, source.ty
        ),
        format!("expected `{}`", element),
        hint,
    );
}

fn not_a_list(ctx: &mut Ctx, at: &Spanned<String>, target: &Field, verb: &str) {
    ctx.error(
        Pos::of(at),
        format!(
            "`{verb}` needs a list, but `{}` is `{}`",
            target.name, target.ty
        ),
        "not a list",
        Some("use `set` for fields that are not lists".into()),
    );
}
