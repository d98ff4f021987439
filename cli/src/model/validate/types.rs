//! The type grammar, value objects (each resolved before what holds it), and field lists with
//! their rules.

use std::collections::HashSet;
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::ctx::{Ctx, Value};
use super::names;
use crate::model::ast::{self, NamedMap, Pos};
use crate::model::ir::{self, Type};

const BUILT_INS: &[&str] = &[
    "string",
    "bool",
    "int",
    "float",
    "decimal",
    "uuid",
    "timestamp",
    "date",
];

pub(super) fn is_numeric(ty: &Type) -> bool {
    matches!(ty, Type::Int | Type::Float | Type::Decimal)
}

/// Parses and resolves a type string such as `list<OrderLine>` or `date?`.
pub(super) fn resolve(ctx: &mut Ctx, written: &Spanned<String>) -> Option<Type> {
    let text = written.value.as_str();
    let start = text.len() - text.trim_start().len();
    parse(ctx, written, start, text.trim())
}

/// `text` is a slice of `written.value` starting at byte `offset`.
fn parse(ctx: &mut Ctx, written: &Spanned<String>, offset: usize, text: &str) -> Option<Type> {
    if let Some(inner) = text.strip_suffix('?') {
        return optional(ctx, written, offset, inner.trim_end());
    }
    if let Some((inner_offset, inner)) = wrapped(ctx, written, offset, text, "list<") {
        return parse(ctx, written, inner_offset, inner?).map(|t| Type::List(Box::new(t)));
    }
    if let Some((inner_offset, inner)) = wrapped(ctx, written, offset, text, "optional<") {
        return optional(ctx, written, inner_offset, inner?);
    }
    let ty = match text {
        "string" => Type::String,
        "bool" => Type::Bool,
        "int" => Type::Int,
        "float" => Type::Float,
        "decimal" => Type::Decimal,
        "uuid" => Type::Uuid,
        "timestamp" => Type::Timestamp,
        "date" => Type::Date,
        name if ctx.enums.contains_key(name) => Type::Enum(Arc::clone(&ctx.enums[name])),
        name if ctx.values.contains_key(name) => {
            if matches!(ctx.values.get(name), Some(Value::Open)) {
                contains_itself(ctx, written, offset, name);
                return None;
            }
            Type::Value(value(ctx, name)?)
        }
        name => {
            let declared: Vec<String> =
                ctx.enums.keys().chain(ctx.values.keys()).cloned().collect();
            let candidates = BUILT_INS
                .iter()
                .copied()
                .chain(declared.iter().map(String::as_str))
                .chain(["list<T>", "optional<T>"]);
            let hint = names::did_you_mean(name, candidates)
                .or_else(|| Some("types are string, bool, int, float, decimal, uuid, timestamp, date, list<T>, optional<T>, or a declared enum or value".into()));
            ctx.error(
                ctx.within(written, offset, name.len().max(1)),
                format!("unknown type `{name}`"),
                "unknown type",
                hint,
            );
            return None;
        }
    };
    Some(ty)
}

/// The inside of `prefix...>` and its offset, or `None` when `text` does not start with
/// `prefix`; an inside of `None` means the `>` is missing (already reported).
fn wrapped<'t>(
    ctx: &mut Ctx,
    written: &Spanned<String>,
    offset: usize,
    text: &'t str,
    prefix: &str,
) -> Option<(usize, Option<&'t str>)> {
    let rest = text.strip_prefix(prefix)?;
    let Some(inner) = rest.strip_suffix('>') else {
        ctx.error(
            ctx.within(written, offset, text.len()),
            format!("malformed type `{text}`"),
            "missing `>`",
            Some(format!("write `{text}>`")),
        );
        return Some((offset, None));
    };
    let inner_offset = offset + prefix.len() + (inner.len() - inner.trim_start().len());
    Some((inner_offset, Some(inner.trim())))
}

fn optional(ctx: &mut Ctx, written: &Spanned<String>, offset: usize, inner: &str) -> Option<Type> {
    let ty = parse(ctx, written, offset, inner)?;
    if matches!(ty, Type::Optional(_)) {
        ctx.error(
            ctx.within(written, offset, inner.len()),
            "an optional type cannot be optional again",
            "already optional",
            Some(format!("write `{ty}`")),
        );
        return None;
    }
    Some(Type::Optional(Box::new(ty)))
}

/// Resolves every value object, each on its first use or in declaration order, whichever comes
/// first: so a value may hold one declared after it, and one that holds itself is caught.
pub(super) fn values<'a>(
    ctx: &mut Ctx<'a>,
    declared: &'a NamedMap<ast::Fields>,
) -> Vec<Arc<ir::ValueDef>> {
    for (name, fields) in declared.iter() {
        ctx.values
            .entry(name.value.clone())
            .or_insert(Value::Declared(fields));
    }
    let mut seen = HashSet::new();
    declared
        .iter()
        .filter_map(|(name, fields)| {
            if seen.insert(name.value.as_str()) {
                value(ctx, &name.value)
            } else {
                // A second declaration of the name, already reported; its fields are checked
                // all the same.
                Some(definition(ctx, &name.value, fields))
            }
        })
        .collect()
}

/// The value object `name`, resolved the first time it is asked for; `None` while it is being
/// resolved.
fn value(ctx: &mut Ctx, name: &str) -> Option<Arc<ir::ValueDef>> {
    let declared = match ctx.values.get(name)? {
        Value::Declared(fields) => *fields,
        Value::Resolved(def) => return Some(Arc::clone(def)),
        Value::Open => return None,
    };
    ctx.values.insert(name.to_owned(), Value::Open);
    let def = definition(ctx, name, declared);
    ctx.values
        .insert(name.to_owned(), Value::Resolved(Arc::clone(&def)));
    Some(def)
}

fn definition(ctx: &mut Ctx, name: &str, declared: &ast::Fields) -> Arc<ir::ValueDef> {
    ctx.open_values.push((name.to_owned(), String::new()));
    let fields = self::fields(ctx, declared, Rules::Allowed, None);
    ctx.open_values.pop();
    Arc::new(ir::ValueDef {
        name: name.to_owned(),
        fields,
    })
}

/// Reports the value object `name`, met again while its own fields are resolved.
fn contains_itself(ctx: &mut Ctx, written: &Spanned<String>, offset: usize, name: &str) {
    let start = ctx
        .open_values
        .iter()
        .position(|(value, _)| value == name)
        .unwrap_or_default();
    let path: Vec<String> = ctx.open_values[start..]
        .iter()
        .map(|(value, field)| format!("{value}.{field}"))
        .chain([name.to_owned()])
        .collect();
    ctx.error(
        ctx.within(written, offset, name.len()),
        format!("value `{name}` contains itself: {}", path.join(" → ")),
        "contains itself",
        Some(
            "a value object is held whole by what contains it, so it cannot contain itself, \
             not even through `optional<>` or `list<>`; refer to the other one by its id instead"
                .into(),
        ),
    );
}

/// Whether a field list may carry validation rules.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Rules {
    Allowed,
    Forbidden,
}

/// Resolves a field list: names, duplicates, types and rules. A field named `reserved` (the
/// aggregate id in a command) is reported. Fields whose type does not resolve are left out.
pub(super) fn fields(
    ctx: &mut Ctx,
    fields: &ast::Fields,
    rules: Rules,
    reserved: Option<&str>,
) -> Vec<ir::Field> {
    names::unique(ctx, fields.iter().map(|(name, _)| name), "field");
    let mut resolved = Vec::new();
    for (name, spec) in fields.iter() {
        names::snake(ctx, name, "field");
        if reserved == Some(name.value.as_str()) {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` is the aggregate id; it cannot be declared again",
                    name.value
                ),
                "the id is implied",
                Some(format!(
                    "remove it; the aggregate id `{}` is always there",
                    name.value
                )),
            );
        }
        if let Some((_, field)) = ctx.open_values.last_mut() {
            field.clone_from(&name.value);
        }
        let Some(ty) = resolve(ctx, &spec.ty) else {
            ctx.unresolved.insert(name.value.clone());
            continue;
        };
        let rules = match rules {
            Rules::Allowed => field_rules(ctx, &name.value, spec, &ty),
            Rules::Forbidden => {
                for (rule, pos) in spec.rule_positions() {
                    ctx.error(
                        pos,
                        "validation rules belong on command fields",
                        format!("`{rule}` is not checked here"),
                        Some("move the rule to the command field that feeds this one, or to a value object".into()),
                    );
                }
                ir::Rules::default()
            }
        };
        resolved.push(ir::Field {
            name: name.value.clone(),
            ty,
            rules,
        });
    }
    resolved
}

fn field_rules(ctx: &mut Ctx, field: &str, spec: &ast::FieldSpec, ty: &Type) -> ir::Rules {
    let base = ty.required();
    let numeric = is_numeric(base);
    let sized = matches!(base, Type::String | Type::List(_));
    for (rule, pos) in spec.rule_positions() {
        let (fits, wants) = match rule {
            "min" | "max" => (numeric, "an int, float or decimal"),
            "pattern" | "example" => (*base == Type::String, "a string"),
            _ => (sized, "a string or list"),
        };
        if !fits {
            ctx.error(
                pos,
                format!("`{rule}` needs {wants} field, but `{field}` is `{ty}`"),
                format!("not for `{ty}`"),
                None,
            );
        }
    }
    if let (Some(min), Some(max)) = (&spec.min, &spec.max)
        && min.value > max.value
    {
        ctx.error(
            Pos::of(max),
            format!(
                "`{field}` has `max` {} below `min` {}",
                max.value, min.value
            ),
            "below `min`",
            None,
        );
    }
    if let (Some(min), Some(max)) = (&spec.min_length, &spec.max_length)
        && min.value > max.value
    {
        ctx.error(
            Pos::of(max),
            format!(
                "`{field}` has `max_length` {} below `min_length` {}",
                max.value, min.value
            ),
            "below `min_length`",
            None,
        );
    }
    let mut rules = ir::Rules {
        non_empty: spec.non_empty.as_ref().is_some_and(|n| n.value),
        min: spec.min.as_ref().map(|m| m.value),
        max: spec.max.as_ref().map(|m| m.value),
        min_length: spec.min_length.as_ref().map(|m| m.value),
        max_length: spec.max_length.as_ref().map(|m| m.value),
        pattern: None,
        example: None,
    };
    if *base == Type::String {
        (rules.pattern, rules.example) = pattern_and_example(ctx, field, spec, &rules);
    }
    rules
}

/// A string field's `pattern`, compiled to check its syntax, and its `example`, checked against
/// every rule: the generated tests send it, so it must pass.
fn pattern_and_example(
    ctx: &mut Ctx,
    field: &str,
    spec: &ast::FieldSpec,
    rules: &ir::Rules,
) -> (Option<String>, Option<String>) {
    let pattern =
        spec.pattern
            .as_ref()
            .and_then(|pattern| match regex::Regex::new(&pattern.value) {
                Ok(regex) => Some((pattern, regex)),
                Err(error) => {
                    let why = error.to_string();
                    let why = why.lines().last().unwrap_or_default().trim();
                    let why = why.trim_start_matches("error: ").to_owned();
                    ctx.error(
                        Pos::of(pattern),
                        format!("the `pattern` of `{field}` is not a regular expression: {why}"),
                        "not a regular expression",
                        Some("the syntax is the `regex` crate's: https://docs.rs/regex".into()),
                    );
                    None
                }
            });
    let Some(example) = &spec.example else {
        if let Some((pattern, _)) = &pattern {
            ctx.error(
                Pos::of(*pattern),
                format!("`{field}` has a `pattern` but no `example` that matches it"),
                "needs an example",
                Some("add `example: \"...\"`: the generated tests and README send it".into()),
            );
        }
        return (pattern.map(|(p, _)| p.value.clone()), None);
    };
    let chars = example.value.chars().count() as u64;
    let min = rules.min_length.or(rules.non_empty.then_some(1));
    let problem = match &pattern {
        Some((pattern, regex)) if !regex.is_match(&example.value) => {
            Some(format!("does not match the pattern `{}`", pattern.value))
        }
        _ if min.is_some_and(|min| chars < min) => Some("is shorter than `min_length`".to_owned()),
        _ if rules.max_length.is_some_and(|max| chars > max) => {
            Some("is longer than `max_length`".to_owned())
        }
        _ => None,
    };
    if let Some(problem) = problem {
        ctx.error(
            Pos::of(example),
            format!("the example of `{field}` {problem}"),
            "fails the field's rules",
            None,
        );
    }
    (
        pattern.map(|(p, _)| p.value.clone()),
        Some(example.value.clone()),
    )
}
