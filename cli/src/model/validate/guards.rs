//! Guards: a condition on a state field that a command requires, with its message.

use serde_saphyr::Spanned;

use super::ctx::Ctx;
use super::literals::{literal, show_literal};
use super::names;
use super::types::is_numeric;
use super::values::{self, show_offset};
use crate::model::ast::{self, Pos, Scalar};
use crate::model::ir::{self, Condition, Field, Operand, TimeUnit, Type};

const CONDITIONS: &str = "equals, not_equals, one_of, not_empty, at_least or at_most";

pub(super) fn guard(
    ctx: &mut Ctx,
    guard: &Spanned<ast::Guard>,
    state: &[Field],
    command: &str,
    fields: &[Field],
) -> Option<ir::Guard> {
    let ast = &guard.value;
    let Some(field_name) = &ast.field else {
        ctx.error(
            Pos::of(guard),
            "a guard needs a `field`",
            "missing `field`",
            Some("name the state field it checks, like `field: status`".into()),
        );
        return None;
    };
    let field = state.iter().find(|f| f.name == field_name.value);
    let Some(field) = field else {
        if ctx.reported(&field_name.value) {
            return None;
        }
        let hint = names::did_you_mean(&field_name.value, state.iter().map(|f| f.name.as_str()));
        ctx.error(
            Pos::of(field_name),
            format!("guard on unknown state field `{}`", field_name.value),
            "not a state field",
            hint,
        );
        return None;
    };

    let mut given: Vec<Pos> = Vec::new();
    given.extend(ast.equals.as_ref().map(Pos::of));
    given.extend(ast.not_equals.as_ref().map(Pos::of));
    given.extend(
        ast.one_of
            .as_ref()
            .map(|list| list.first().map_or(Pos::of(field_name), Pos::of)),
    );
    given.extend(ast.not_empty.as_ref().map(Pos::of));
    given.extend(ast.at_least.as_ref().map(Pos::of));
    given.extend(ast.at_most.as_ref().map(Pos::of));
    given.sort_by_key(|p| (p.line, p.column));
    if given.is_empty() {
        ctx.error(
            Pos::of(field_name),
            format!("the guard on `{}` has no condition", field.name),
            "no condition",
            Some(format!("add one of {CONDITIONS}")),
        );
        return None;
    }
    if given.len() > 1 {
        ctx.error(
            given[1],
            "a guard takes exactly one condition",
            "second condition",
            Some("split it into two guards".into()),
        );
        return None;
    }

    let f = &field.name;
    let condition = if let Some(value) = &ast.equals {
        Condition::Equals(literal(ctx, value, &field.ty, f)?)
    } else if let Some(value) = &ast.not_equals {
        Condition::NotEquals(literal(ctx, value, &field.ty, f)?)
    } else if let Some(values) = &ast.one_of {
        if values.is_empty() {
            ctx.error(
                Pos::of(field_name),
                "`one_of` lists no values",
                "empty `one_of`",
                None,
            );
            return None;
        }
        let literals: Vec<_> = values
            .iter()
            .map(|v| literal(ctx, v, &field.ty, f))
            .collect();
        Condition::OneOf(literals.into_iter().collect::<Option<_>>()?)
    } else if let Some(flag) = &ast.not_empty {
        let base = field.ty.required();
        if !matches!(base, Type::String | Type::List(_)) {
            ctx.error(
                Pos::of(flag),
                format!(
                    "`not_empty` needs a string or list, but `{f}` is `{}`",
                    field.ty
                ),
                "not a string or list",
                None,
            );
            return None;
        }
        if !flag.value {
            ctx.error(
                Pos::of(flag),
                "`not_empty: false` checks nothing",
                "always passes",
                Some("remove the guard, or write `not_empty: true`".into()),
            );
            return None;
        }
        Condition::NotEmpty
    } else {
        let (at_least, bound) = match (&ast.at_least, &ast.at_most) {
            (Some(b), _) => (true, b),
            (None, Some(b)) => (false, b),
            (None, None) => unreachable!("one condition is given"),
        };
        let timed = field.ty.is_time();
        if !is_numeric(&field.ty) && !timed {
            let key = if at_least { "at_least" } else { "at_most" };
            ctx.error(
                Pos::of(bound),
                format!(
                    "`{key}` needs an int, float, decimal, timestamp or date, but `{f}` is `{}`",
                    field.ty
                ),
                "not a number or a time",
                None,
            );
            return None;
        }
        let operand = if timed {
            time_operand(ctx, bound, field, command, fields)?
        } else {
            guard_operand(ctx, bound, field, command, fields)?
        };
        if at_least {
            Condition::AtLeast(operand)
        } else {
            Condition::AtMost(operand)
        }
    };
    let message = ast
        .message
        .clone()
        .unwrap_or_else(|| default_message(f, &condition));
    let code = match &ast.code {
        Some(code) => Some(rejection_code(ctx, code)?),
        None => None,
    };
    Some(ir::Guard {
        field: field.clone(),
        condition,
        message,
        code,
    })
}

/// A rejection code is what clients branch on: plain words joined by `_`, `-` or `.`.
fn rejection_code(ctx: &mut Ctx, code: &Spanned<String>) -> Option<String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if code.value.is_empty() || !code.value.chars().all(plain) {
        ctx.error(
            Pos::of(code),
            format!("`{}` cannot be a rejection code", code.value),
            "not a plain code",
            Some("use letters, digits, `_`, `-` and `.`, like `book_on_loan`".into()),
        );
        return None;
    }
    Some(code.value.clone())
}

/// A number, or a field of this command with the state field's type.
fn guard_operand(
    ctx: &mut Ctx,
    bound: &Spanned<Scalar>,
    field: &Field,
    command: &str,
    fields: &[Field],
) -> Option<Operand> {
    let Scalar::Str(name) = &bound.value else {
        return literal(ctx, bound, &field.ty, &field.name).map(Operand::Literal);
    };
    let Some(source) = fields.iter().find(|c| &c.name == name) else {
        if ctx.reported(name) {
            return None;
        }
        let hint = names::did_you_mean(name, fields.iter().map(|c| c.name.as_str()))
            .or_else(|| Some("compare with a number or a field of the command".into()));
        ctx.error(
            Pos::of(bound),
            format!("command `{command}` has no field `{name}`"),
            "not a command field",
            hint,
        );
        return None;
    };
    if source.ty != field.ty {
        ctx.error(
            Pos::of(bound),
            format!(
                "`{name}` is `{}` in the command but `{}` is `{}`",
                source.ty, field.name, field.ty
            ),
            format!("expected `{}`", field.ty),
            None,
        );
        return None;
    }
    Some(Operand::Field(source.clone()))
}

/// A time a timestamp or date is compared with: `now`, `now + 3d` (a date moves by days), or
/// a field of this command of the same type.
fn time_operand(
    ctx: &mut Ctx,
    bound: &Spanned<Scalar>,
    field: &Field,
    command: &str,
    fields: &[Field],
) -> Option<Operand> {
    let base = field.ty.required();
    let Scalar::Str(text) = &bound.value else {
        ctx.error(
            Pos::of(bound),
            format!(
                "`{}` is a time, compared with `now`, `now + 3d` or a command field",
                field.name
            ),
            "not a time",
            None,
        );
        return None;
    };
    let Some(rest) = text.trim().strip_prefix("now") else {
        let bare = Field {
            ty: base.clone(),
            ..field.clone()
        };
        return guard_operand(ctx, bound, &bare, command, fields);
    };
    let Some(offset) = values::offset(rest.trim()) else {
        ctx.error(
            Pos::of(bound),
            format!("`{text}` is not a time"),
            "not a time",
            Some("write `now`, or `now + 3d` / `now - 2h` (d, h, m or s)".into()),
        );
        return None;
    };
    if *base == Type::Date && offset.unit != TimeUnit::Days {
        ctx.error(
            Pos::of(bound),
            format!("`{}` is a date, which moves by whole days", field.name),
            "not whole days",
            Some("write the offset in days, like `now + 3d`".into()),
        );
        return None;
    }
    Some(Operand::Now(offset))
}

fn default_message(field: &str, condition: &Condition) -> String {
    let operand = |o: &Operand| match o {
        Operand::Literal(l) => show_literal(l),
        Operand::Field(f) => f.name.clone(),
        Operand::Now(offset) => show_offset(offset),
    };
    match condition {
        Condition::Equals(l) => format!("{field} must be {}", show_literal(l)),
        Condition::NotEquals(l) => format!("{field} must not be {}", show_literal(l)),
        Condition::OneOf(ls) => format!(
            "{field} must be one of {}",
            ls.iter().map(show_literal).collect::<Vec<_>>().join(", ")
        ),
        Condition::NotEmpty => format!("{field} must not be empty"),
        Condition::AtLeast(o) => format!("{field} must be at least {}", operand(o)),
        Condition::AtMost(o) => format!("{field} must be at most {}", operand(o)),
    }
}
