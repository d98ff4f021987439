//! Struct fields as declared in generated code, with their validation attributes.

use super::layout;
use super::rust::rust_type;
use crate::model::ir::{Field, Rules, Type};

/// A struct field as declared.
pub struct FieldView {
    pub name: String,
    pub ty: String,
    /// `#[garde(...)]` rules, or empty where the struct does not validate.
    pub garde: String,
    /// Another attribute of the field (`#[aggregate(unique)]`), or empty.
    pub marker: String,
}

impl FieldView {
    pub fn plain(field: &Field) -> Self {
        Self {
            name: field.name.clone(),
            ty: rust_type(&field.ty),
            garde: String::new(),
            marker: String::new(),
        }
    }

    /// The field with `marker`, another attribute, before its rules.
    pub fn marked(mut self, marker: String) -> Self {
        self.marker = marker;
        self
    }

    pub fn validated(field: &Field) -> Self {
        Self {
            garde: garde_rules(&field.ty, &field.rules),
            ..Self::plain(field)
        }
    }
}

/// The garde attribute for a field's rules. Decimals use the runtime's range check, since
/// garde's `range` covers primitives only.
fn garde_rules(ty: &Type, rules: &Rules) -> String {
    let inner = ty.required();
    let mut parts = Vec::new();
    let min_length = rules.min_length.or(rules.non_empty.then_some(1));
    if min_length.is_some() || rules.max_length.is_some() {
        let mode = if *inner == Type::String {
            "chars, "
        } else {
            ""
        };
        let bounds: Vec<String> = [("min", min_length), ("max", rules.max_length)]
            .into_iter()
            .filter_map(|(name, bound)| bound.map(|bound| format!("{name} = {bound}")))
            .collect();
        parts.push(format!("length({mode}{})", bounds.join(", ")));
    }
    if let Some(pattern) = &rules.pattern {
        parts.push(format!("pattern({pattern:?})"));
    }
    if rules.min.is_some() || rules.max.is_some() {
        if *inner == Type::Decimal {
            let bound = |value: Option<f64>| {
                value.map_or("None".to_owned(), |v| {
                    format!("Some({})", super::rust::decimal(&v.to_string()))
                })
            };
            let check = if matches!(ty, Type::Optional(_)) {
                "optional_decimal_range"
            } else {
                "decimal_range"
            };
            parts.push(format!(
                "custom(eventwright::validate::{check}({}, {}))",
                bound(rules.min),
                bound(rules.max)
            ));
        } else {
            let literal = |value: f64| {
                if *inner == Type::Float {
                    format!("{value:?}")
                } else {
                    format!("{}", value as i64)
                }
            };
            let bounds: Vec<String> = [("min", rules.min), ("max", rules.max)]
                .into_iter()
                .filter_map(|(name, bound)| {
                    bound.map(|bound| format!("{name} = {}", literal(bound)))
                })
                .collect();
            parts.push(format!("range({})", bounds.join(", ")));
        }
    }
    if contains_value(ty) {
        parts.push("dive".to_owned());
    }
    match parts.as_slice() {
        [] => "#[garde(skip)]".to_owned(),
        [one] => lone_rule(one),
        // On a field of a struct: four columns in.
        several => layout::attribute("garde", several, 4),
    }
}

/// `#[garde(rule(..))]` on one line, as rustfmt keeps a lone argument that fits; else the
/// rule's own argument on a line of its own.
fn lone_rule(rule: &str) -> String {
    let flat = format!("#[garde({rule})]");
    match rule.split_once('(') {
        Some((name, inner)) if 4 + flat.len() > 100 => {
            let inner = inner.strip_suffix(')').unwrap_or(inner);
            format!("#[garde({name}(\n        {inner}\n    ))]")
        }
        _ => flat,
    }
}

fn contains_value(ty: &Type) -> bool {
    match ty {
        Type::Value(_) => true,
        Type::List(inner) | Type::Optional(inner) => contains_value(inner),
        _ => false,
    }
}
