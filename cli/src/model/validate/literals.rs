//! Constants, typed by the field they are compared with or assigned to.

use serde_saphyr::Spanned;

use super::ctx::Ctx;
use super::names;
use crate::model::ast::{Pos, Scalar};
use crate::model::ir::{Literal, Type};

/// A constant compared with or assigned to a field of type `ty`.
pub(super) fn literal(
    ctx: &mut Ctx,
    value: &Spanned<Scalar>,
    ty: &Type,
    field: &str,
) -> Option<Literal> {
    let ty = ty.required();
    let literal = match (ty, &value.value) {
        (Type::Enum(def), Scalar::Str(variant)) => {
            let name = &def.name;
            if !def.variants.contains(variant) {
                let hint = names::did_you_mean(variant, def.variants.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        format!("the variants of `{name}` are {}", def.variants.join(", "))
                    });
                ctx.error(
                    Pos::of(value),
                    format!("`{variant}` is not a variant of `{name}`"),
                    format!("not a `{name}`"),
                    Some(hint),
                );
                return None;
            }
            Literal::Variant {
                enum_name: name.clone(),
                variant: variant.clone(),
            }
        }
        (Type::Bool, Scalar::Bool(b)) => Literal::Bool(*b),
        (Type::Int, Scalar::Int(i)) => Literal::Int(*i),
        (Type::Float, Scalar::Int(i)) => Literal::Float(*i as f64),
        (Type::Float, Scalar::Float(f)) => Literal::Float(*f),
        (Type::Decimal, Scalar::Int(_) | Scalar::Float(_)) => {
            let written = ctx.raw_text(value).map(str::to_owned);
            Literal::Decimal(written.unwrap_or_else(|| match value.value {
                Scalar::Int(i) => i.to_string(),
                Scalar::Float(f) => f.to_string(),
                _ => unreachable!("matched above"),
            }))
        }
        (Type::String, Scalar::Str(s)) => Literal::String(s.clone()),
        (Type::Uuid | Type::Timestamp | Type::Date | Type::Value(_) | Type::List(_), _) => {
            ctx.error(
                Pos::of(value),
                format!("`{field}` is `{ty}`, which has no constants"),
                "no constant of this type",
                Some("take the value from a field instead".into()),
            );
            return None;
        }
        (_, scalar) => {
            let hint = match ty {
                Type::Enum(def) => format!("write one of the variants of `{}`", def.name),
                Type::Bool => "write `true` or `false`".into(),
                Type::String => "quote it to make it a string".into(),
                _ => "write a number".into(),
            };
            ctx.error(
                Pos::of(value),
                format!(
                    "{} does not fit `{field}`, which is `{}`",
                    scalar.describe(),
                    ty
                ),
                format!("expected a `{ty}`"),
                Some(hint),
            );
            return None;
        }
    };
    Some(literal)
}

/// How a constant reads in a default guard message.
pub(super) fn show_literal(literal: &Literal) -> String {
    match literal {
        Literal::Bool(b) => b.to_string(),
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) => f.to_string(),
        Literal::Decimal(d) => d.clone(),
        Literal::String(s) => format!("\"{s}\""),
        Literal::Variant { variant, .. } => variant.clone(),
    }
}
