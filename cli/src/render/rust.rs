//! Model types, literals, changes and guards as Rust source.

use super::layout;
use crate::model::ir::{
    ChangeOp, Condition, Field, FieldSource, Guard, Literal, Offset, Operand, ServedValue, Source,
    TimeUnit, Type,
};

/// The Rust type of a model type.
pub fn rust_type(ty: &Type) -> String {
    match ty {
        Type::String => "String".to_owned(),
        Type::Bool => "bool".to_owned(),
        Type::Int => "i64".to_owned(),
        Type::Float => "f64".to_owned(),
        Type::Decimal => "Decimal".to_owned(),
        Type::Uuid => "Uuid".to_owned(),
        Type::Timestamp => "DateTime<Utc>".to_owned(),
        Type::Date => "NaiveDate".to_owned(),
        Type::Enum(def) => def.name.clone(),
        Type::Value(def) => def.name.clone(),
        Type::List(inner) => format!("Vec<{}>", rust_type(inner)),
        Type::Optional(inner) => format!("Option<{}>", rust_type(inner)),
    }
}

/// Whether values of the type are `Copy`, so reading one needs no `.clone()` (clippy insists).
/// Model enums are generated with `Copy`.
pub fn is_copy(ty: &Type) -> bool {
    match ty {
        Type::String | Type::Value(_) | Type::List(_) => false,
        Type::Optional(inner) => is_copy(inner),
        _ => true,
    }
}

/// `expr` read by value: copied or cloned.
pub fn read(expr: &str, ty: &Type) -> String {
    if is_copy(ty) {
        expr.to_owned()
    } else {
        format!("{expr}.clone()")
    }
}

/// `Some(value)` when `wrap`, for a value that fills an optional field; else `value`.
pub fn some_if(wrap: bool, value: String) -> String {
    if wrap {
        format!("Some({value})")
    } else {
        value
    }
}

/// A literal as an expression of type `target`.
pub fn literal(value: &Literal, target: &Type) -> String {
    if let Type::Optional(inner) = target {
        return format!("Some({})", literal(value, inner));
    }
    match value {
        Literal::Bool(flag) => flag.to_string(),
        Literal::Int(number) if *target == Type::Float => format!("{number}.0"),
        Literal::Int(number) if *target == Type::Decimal => decimal(&number.to_string()),
        Literal::Int(number) => number.to_string(),
        Literal::Float(number) if *target == Type::Decimal => decimal(&number.to_string()),
        Literal::Float(number) => float(*number),
        Literal::Decimal(text) => decimal(text),
        Literal::String(text) => format!("{text:?}.to_owned()"),
        Literal::Variant { enum_name, variant } => format!("{enum_name}::{variant}"),
    }
}

fn float(number: f64) -> String {
    let text = number.to_string();
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// A decimal constant without parsing at run time: `12.50` -> `Decimal::new(1250, 2)`.
pub fn decimal(text: &str) -> String {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = fraction.trim_end_matches('0');
    let mantissa = format!("{whole}{fraction}").parse::<i64>().unwrap_or(0);
    format!("Decimal::new({mantissa}, {})", fraction.len())
}

/// An operand of `increment`/`decrement` or a guard, read from `source` (`event` or `command`)
/// or, for a time, from `clock` (`context` or `read`).
fn operand(by: &Operand, target: &Type, source: &str, clock: &str) -> String {
    match by {
        Operand::Literal(value) => literal(value, target),
        Operand::Field(field) => format!("{source}.{}", field.name),
        Operand::Now(offset) => moved_now(
            &format!("{clock}.now()"),
            &format!("{clock}.today()"),
            offset,
            target,
        ),
    }
}

/// The statements that apply `changes` to `target` (`self` or `row`) from `event`.
/// `Delete` is rendered by the caller, which knows what deleting means there.
pub fn change_statements(changes: &[ChangeOp], target: &str) -> Vec<String> {
    changes
        .iter()
        .filter_map(|change| {
            Some(match change {
                ChangeOp::Set {
                    target: field,
                    source,
                    wrap_some,
                } => {
                    let value = read(&format!("event.{}", source.name), &source.ty);
                    format!("{target}.{} = {};", field.name, some_if(*wrap_some, value))
                }
                ChangeOp::SetConst {
                    target: field,
                    value,
                } => format!("{target}.{} = {};", field.name, literal(value, &field.ty)),
                ChangeOp::Clear { target: field } => format!("{target}.{} = None;", field.name),
                ChangeOp::Increment { target: field, by } => format!(
                    "{target}.{} += {};",
                    field.name,
                    operand(by, &field.ty, "event", "")
                ),
                ChangeOp::Decrement { target: field, by } => format!(
                    "{target}.{} -= {};",
                    field.name,
                    operand(by, &field.ty, "event", "")
                ),
                ChangeOp::Append {
                    target: field,
                    source,
                } => format!(
                    "{target}.{}.push({});",
                    field.name,
                    read(&format!("event.{}", source.name), &source.ty)
                ),
                ChangeOp::Remove {
                    target: field,
                    source,
                    by_field,
                } => {
                    let kept = match by_field {
                        Some(by) => {
                            format!(".retain(|item| item.{} != event.{})", by.name, source.name)
                        }
                        None => format!(".retain(|item| *item != event.{})", source.name),
                    };
                    // `self.field.retain(...)` is a chain of two: held to the chain width.
                    let flat = format!("{target}.{}{kept}", field.name);
                    if flat.len() <= 60 {
                        format!("{flat};")
                    } else {
                        format!("{target}.{}\n            {kept};", field.name)
                    }
                }
                ChangeOp::Delete => return None,
            })
        })
        .collect()
}

/// Whether the statements read the event at all (an unused parameter is named `_event`).
pub fn uses_event(changes: &[ChangeOp]) -> bool {
    changes.iter().any(|change| match change {
        ChangeOp::Set { .. } | ChangeOp::Append { .. } | ChangeOp::Remove { .. } => true,
        ChangeOp::Increment { by, .. } | ChangeOp::Decrement { by, .. } => {
            matches!(by, Operand::Field(_))
        }
        ChangeOp::SetConst { .. } | ChangeOp::Clear { .. } | ChangeOp::Delete => false,
    })
}

/// The condition under which `guard` refuses the command, reading the state from `self`.
pub fn guard_violated(guard: &Guard) -> String {
    guard_violated_on(guard, "self", "command", "context")
}

/// [`guard_violated`] on the state in `state` and the command in `command`.
pub fn guard_violated_on(guard: &Guard, state: &str, command: &str, clock: &str) -> String {
    let field = format!("{state}.{}", guard.field.name);
    let ty = &guard.field.ty;
    // An optional time compares as an `Option`: holding nothing is earlier than any time.
    let bound = |by: &Operand| {
        let value = operand(by, ty, command, clock);
        some_if(matches!(ty, Type::Optional(_)), value)
    };
    match &guard.condition {
        Condition::Equals(Literal::Bool(true)) => format!("!{field}"),
        Condition::Equals(Literal::Bool(false)) => field,
        Condition::NotEquals(Literal::Bool(true)) => field,
        Condition::NotEquals(Literal::Bool(false)) => format!("!{field}"),
        Condition::Equals(value) => format!("{field} != {}", literal(value, ty)),
        Condition::NotEquals(value) => format!("{field} == {}", literal(value, ty)),
        Condition::OneOf(values)
            if values
                .iter()
                .all(|value| matches!(value, Literal::Variant { .. })) =>
        {
            let patterns: Vec<String> = values.iter().map(|value| literal(value, ty)).collect();
            format!("!matches!({field}, {})", patterns.join(" | "))
        }
        Condition::OneOf(values) => {
            let values: Vec<String> = values.iter().map(|value| literal(value, ty)).collect();
            format!("![{}].contains(&{field})", values.join(", "))
        }
        Condition::NotEmpty => format!("{field}.is_empty()"),
        Condition::AtLeast(by) => format!("{field} < {}", bound(by)),
        Condition::AtMost(by) => format!("{field} > {}", bound(by)),
    }
}

/// Whether a guard reads the command (an unused parameter is named `_command`).
pub fn guard_uses_command(guard: &Guard) -> bool {
    matches!(
        &guard.condition,
        Condition::AtLeast(Operand::Field(_)) | Condition::AtMost(Operand::Field(_))
    )
}

/// `outer(Rejection::guard("message"))suffix`, or `Rejection::refused("code", "message")` for
/// a guard that names its code, laid out as rustfmt would at `indent`.
pub fn refusal(guard: &Guard, outer: &str, indent: usize, suffix: &str) -> String {
    let message = format!("{:?}", guard.message);
    match &guard.code {
        None => layout::nested_call(outer, "Rejection::guard", &[message], indent, suffix),
        Some(code) => layout::nested_call(
            outer,
            "Rejection::refused",
            &[format!("{code:?}"), message],
            indent,
            suffix,
        ),
    }
}

/// The expression making a served value (`now`, `new_id`) of type `ty` from `clock`, the
/// handler's `context` or the decision's `read`.
pub fn served(value: &ServedValue, clock: &str) -> String {
    match (&value.source, &value.ty) {
        (Source::Now(offset), ty) => moved_now(
            &format!("{clock}.now()"),
            &format!("{clock}.today()"),
            offset,
            ty,
        ),
        (_, Type::String) => format!("{clock}.new_id().to_string()"),
        _ => format!("{clock}.new_id()"),
    }
}

/// The time now (`now`, a timestamp) or today (`today`, a date), whichever a field of `ty`
/// holds, moved by `offset`.
pub fn moved_now(now: &str, today: &str, offset: &Offset, ty: &Type) -> String {
    let date = *ty.required() == Type::Date;
    let base = if date { today } else { now };
    shifted(base.to_owned(), offset, date)
}

/// `base`, moved by `offset`: whole days for a date, a `TimeDelta` for a time.
pub fn shifted(base: String, offset: &Offset, date: bool) -> String {
    if offset.amount == 0 {
        return base;
    }
    let sign = if offset.amount < 0 { '-' } else { '+' };
    let amount = offset.amount.unsigned_abs();
    if date {
        return format!("{base} {sign} chrono::Days::new({amount})");
    }
    let unit = match offset.unit {
        TimeUnit::Days => "days",
        TimeUnit::Hours => "hours",
        TimeUnit::Minutes => "minutes",
        TimeUnit::Seconds => "seconds",
    };
    format!("{base} {sign} chrono::TimeDelta::{unit}({amount})")
}

/// The value of an event field: read from the command (`command.x` in a handler, `self.x` in a
/// decision), from the aggregate's `state` (`self` in a handler, its binding in a decision), from
/// the binding of another aggregate's state in a decision, or the binding of a served value.
pub fn event_value(fed: &FieldSource, id: &Field, command: &str, state: &str) -> String {
    let value = match (fed.read_from(id), &fed.source) {
        (Some(from), _) => read(&format!("{command}.{}", from.name), &from.ty),
        (None, Source::State(field)) => read(&format!("{state}.{}", field.name), &field.ty),
        (None, Source::Consulted { from, field }) => {
            read(&format!("{from}.{}", field.name), &field.ty)
        }
        (None, _) => {
            let ty = fed.field.ty.required();
            read(&fed.field.name, ty)
        }
    };
    some_if(fed.wrap_some, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_become_exact_constructors() {
        assert_eq!(decimal("12.50"), "Decimal::new(125, 1)");
        assert_eq!(decimal("0"), "Decimal::new(0, 0)");
        assert_eq!(decimal("-3.25"), "Decimal::new(-325, 2)");
    }

    #[test]
    fn literals_take_the_target_type() {
        assert_eq!(literal(&Literal::Int(3), &Type::Float), "3.0");
        assert_eq!(
            literal(&Literal::Int(3), &Type::Optional(Box::new(Type::Int))),
            "Some(3)"
        );
        assert_eq!(
            literal(&Literal::String("a\"b".into()), &Type::String),
            "\"a\\\"b\".to_owned()"
        );
    }
}
