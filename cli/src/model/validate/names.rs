//! Identifier rules: case, keywords, reserved names, duplicates, and "did you mean" hints.

use std::collections::HashMap;

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};
use serde_saphyr::Spanned;

use super::ctx::Ctx;
use crate::model::ast::{self, Pos};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Type names the generated code already uses.
const RESERVED: &[&str] = &[
    "String",
    "Option",
    "Vec",
    "Result",
    "Box",
    "Uuid",
    "Decimal",
    "DateTime",
    "NaiveDate",
    "Utc",
    "Event",
    "Command",
    "Aggregate",
    "Projection",
    "Router",
    "State",
    "Json",
    "Self",
    // The application's services, imported into every aggregate's module.
    "Services",
];

/// "did you mean `x`?" for the closest candidate, if one is close enough to be a typo.
pub(crate) fn did_you_mean<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(distance, c)| *distance <= (c.chars().count() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn keyword(ctx: &mut Ctx, name: &Spanned<String>, kind: &str, suggestion: String) -> bool {
    if !KEYWORDS.contains(&name.value.as_str()) {
        return false;
    }
    ctx.error(
        Pos::of(name),
        format!(
            "`{}` is a Rust keyword and cannot be a {kind} name",
            name.value
        ),
        "Rust keyword",
        Some(format!("rename it, like `{suggestion}`")),
    );
    true
}

/// Aggregates, commands, events, enums, variants, values, projections.
pub(super) fn upper_camel(ctx: &mut Ctx, name: &Spanned<String>, kind: &str) {
    if keyword(ctx, name, kind, format!("{}Kind", name.value)) {
        return;
    }
    let fixed = name.value.to_upper_camel_case();
    if !is_identifier(&name.value) || fixed != name.value {
        let hint = if is_identifier(&fixed) && !fixed.is_empty() {
            format!("{kind} names are UpperCamelCase: `{fixed}`")
        } else {
            format!("{kind} names are UpperCamelCase Rust identifiers, like `OrderPlaced`")
        };
        ctx.error(
            Pos::of(name),
            format!("`{}` is not a valid {kind} name", name.value),
            "not UpperCamelCase",
            Some(hint),
        );
    }
}

/// Fields and queries.
pub(super) fn snake(ctx: &mut Ctx, name: &Spanned<String>, kind: &str) {
    if keyword(ctx, name, kind, format!("{}_kind", name.value)) {
        return;
    }
    let fixed = name.value.to_snake_case();
    if !is_identifier(&name.value) || fixed != name.value {
        let hint = if is_identifier(&fixed) {
            format!("{kind} names are snake_case: `{fixed}`")
        } else {
            format!("{kind} names are snake_case Rust identifiers, like `order_id`")
        };
        ctx.error(
            Pos::of(name),
            format!("`{}` is not a valid {kind} name", name.value),
            "not snake_case",
            Some(hint),
        );
    }
}

/// The service becomes the crate and binary name: lowercase, kebab-case or snake_case.
pub(super) fn service(ctx: &mut Ctx, name: &Spanned<String>) {
    let as_ident = name.value.replace('-', "_");
    let lowercase = name
        .value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    let starts_with_letter = name
        .value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase());
    if !lowercase
        || !starts_with_letter
        || !is_identifier(&as_ident)
        || KEYWORDS.contains(&as_ident.as_str())
    {
        let fixed = name.value.to_kebab_case();
        let hint = if !fixed.is_empty()
            && fixed.starts_with(|c: char| c.is_ascii_lowercase())
            && !KEYWORDS.contains(&fixed.as_str())
        {
            format!("service names are lowercase kebab-case or snake_case: `{fixed}`")
        } else {
            "service names are lowercase kebab-case or snake_case, like `ordering`".to_owned()
        };
        ctx.error(
            Pos::of(name),
            format!("`{}` is not a valid service name", name.value),
            "not a crate name",
            Some(hint),
        );
    }
}

/// Reports the second and later occurrences of a name within one list.
pub(super) fn unique<'n>(
    ctx: &mut Ctx,
    names: impl IntoIterator<Item = &'n Spanned<String>>,
    kind: &str,
) {
    let mut seen: HashMap<&str, Pos> = HashMap::new();
    for name in names {
        match seen.get(name.value.as_str()) {
            Some(first) => ctx.error(
                Pos::of(name),
                format!("duplicate {kind} `{}`", name.value),
                "declared again here",
                Some(format!(
                    "the first `{}` is on line {}",
                    name.value, first.line
                )),
            ),
            None => {
                seen.insert(&name.value, Pos::of(name));
            }
        }
    }
}

/// Every type-like name in the model shares one namespace, which also holds the names the
/// generated code uses. Checks case, keywords, reserved names and clashes.
pub(super) fn type_namespace(ctx: &mut Ctx, file: &ast::File) {
    let mut names: Vec<(&Spanned<String>, &'static str)> = Vec::new();
    names.extend(file.enums.iter().map(|(n, _)| (n, "enum")));
    names.extend(file.values.iter().map(|(n, _)| (n, "value object")));
    for (name, aggregate) in file.aggregates.iter() {
        names.push((name, "aggregate"));
        names.extend(aggregate.commands.iter().map(|(n, _)| (n, "command")));
        names.extend(aggregate.events.iter().map(|(n, _)| (n, "event")));
    }
    names.extend(file.facts.iter().map(|(n, _)| (n, "fact")));
    names.extend(file.projections.iter().map(|(n, _)| (n, "projection")));
    names.extend(file.workflows.iter().map(|(n, _)| (n, "workflow")));

    // The names the generated code derives from the model's: each aggregate's enum of events,
    // each workflow's state and timers.
    let mut derived: HashMap<String, String> = HashMap::new();
    for (name, _) in file.aggregates.iter() {
        let what = format!("the enum of `{}`'s events", name.value);
        derived.insert(format!("{}Event", name.value), what);
    }
    for (name, _) in file.workflows.iter() {
        derived.insert(
            format!("{}State", name.value),
            format!("`{}`'s state", name.value),
        );
        derived.insert(
            format!("{}Timer", name.value),
            format!("`{}`'s timers", name.value),
        );
    }

    let mut seen: HashMap<&str, (Pos, &str)> = HashMap::new();
    for (name, kind) in names {
        upper_camel(ctx, name, kind);
        if let Some(what) = derived.get(&name.value) {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` cannot be {} {kind} name: the generated code names {what} so",
                    name.value,
                    article(kind)
                ),
                "generated name",
                Some(format!(
                    "rename it, like `{}Happened`",
                    name.value.trim_end_matches("Event")
                )),
            );
        }
        if name.value != "Self" && RESERVED.contains(&name.value.as_str()) {
            ctx.error(
                Pos::of(name),
                format!(
                    "`{}` cannot be {} {kind} name: the generated code uses it",
                    name.value,
                    article(kind)
                ),
                "reserved name",
                Some(format!(
                    "rename it, like `{}{}`",
                    file.service
                        .as_ref()
                        .map_or("My".to_owned(), |s| s.value.to_upper_camel_case()),
                    name.value
                )),
            );
        }
        match seen.get(name.value.as_str()) {
            Some((first, first_kind)) => ctx.error(
                Pos::of(name),
                format!("the name `{}` is already used by {} {first_kind}", name.value, article(first_kind)),
                "used again here",
                Some(format!("enums, values, aggregates, commands, events, facts, projections and workflows share one namespace; the first `{}` is on line {}", name.value, first.line)),
            ),
            None => {
                seen.insert(&name.value, (Pos::of(name), kind));
            }
        }
    }
}

fn article(kind: &str) -> &'static str {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}
