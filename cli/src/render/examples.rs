//! Example values for every field, as Rust and as JSON, that pass the field's rules. Generated
//! tests, the README's curl lines and the startup hints use them.

use serde_json::{Value, json};

use crate::model::ir::{Command, Field, Rules, Type};

/// One value, written both ways.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub rust: String,
    pub json: Value,
}

/// An example for `field` that its rules accept.
pub fn example(field: &Field) -> Example {
    value(&field.name, &field.ty, &field.rules)
}

fn value(name: &str, ty: &Type, rules: &Rules) -> Example {
    match ty {
        Type::String => {
            let text = match &rules.example {
                Some(example) => example.clone(),
                None => text_within(&name.replace('_', "-"), rules),
            };
            Example {
                rust: format!("{text:?}.to_owned()"),
                json: json!(text),
            }
        }
        Type::Bool => Example {
            rust: "false".to_owned(),
            json: json!(false),
        },
        Type::Int => {
            let number = number_within(rules).round() as i64;
            Example {
                rust: number.to_string(),
                json: json!(number),
            }
        }
        Type::Float => {
            let number = number_within(rules);
            Example {
                rust: format!("{number:?}"),
                json: json!(number),
            }
        }
        Type::Decimal => {
            let number = number_within(rules).round() as i64;
            Example {
                rust: format!("Decimal::new({number}, 0)"),
                json: json!(number.to_string()),
            }
        }
        Type::Uuid => {
            let id = uuid_for(name);
            Example {
                rust: format!("Uuid::from_u128(0x{id:032x})"),
                json: json!(uuid_text(id)),
            }
        }
        Type::Timestamp => Example {
            rust: "DateTime::from_timestamp(1_767_225_600, 0).expect(\"a valid timestamp\")"
                .to_owned(),
            json: json!("2026-01-01T00:00:00Z"),
        },
        Type::Date => Example {
            rust: "NaiveDate::from_ymd_opt(2026, 1, 1).expect(\"a valid date\")".to_owned(),
            json: json!("2026-01-01"),
        },
        Type::Enum(def) => {
            let variant = &def.variants[0];
            Example {
                rust: format!("{}::{variant}", def.name),
                json: json!(variant),
            }
        }
        Type::Value(def) => {
            let parts: Vec<(String, Example)> = def
                .fields
                .iter()
                .map(|field| (field.name.clone(), example(field)))
                .collect();
            let rust_fields: Vec<String> = parts
                .iter()
                .map(|(name, ex)| format!("{name}: {}", ex.rust))
                .collect();
            let json_fields = parts
                .into_iter()
                .map(|(name, ex)| (name, ex.json))
                .collect();
            Example {
                rust: format!("{} {{ {} }}", def.name, rust_fields.join(", ")),
                json: Value::Object(json_fields),
            }
        }
        Type::List(inner) => {
            let count = rules.min_length.unwrap_or(1).max(1) as usize;
            let element = value(name, inner, &Rules::default());
            let rust = vec![element.rust; count].join(", ");
            Example {
                rust: format!("vec![{rust}]"),
                json: Value::Array(vec![element.json; count]),
            }
        }
        Type::Optional(inner) => {
            let inner = value(name, inner, rules);
            Example {
                rust: format!("Some({})", inner.rust),
                json: inner.json,
            }
        }
    }
}

/// A JSON body for `command` with example values.
pub fn example_body(command: &Command) -> Value {
    Value::Object(
        command
            .fields
            .iter()
            .map(|f| (f.name.clone(), example(f).json))
            .collect(),
    )
}

/// 1, moved into `[min, max]` when the rules say so.
fn number_within(rules: &Rules) -> f64 {
    let mut number = 1.0_f64;
    if let Some(min) = rules.min {
        number = number.max(min.ceil());
    }
    if let Some(max) = rules.max {
        number = number.min(max.floor());
    }
    number
}

fn text_within(base: &str, rules: &Rules) -> String {
    let min = rules
        .min_length
        .unwrap_or(0)
        .max(u64::from(rules.non_empty)) as usize;
    let max = rules.max_length.map_or(usize::MAX, |max| max as usize);
    let mut text: String = base.chars().take(max).collect();
    while text.chars().count() < min {
        text.push('x');
    }
    text
}

/// A stable, distinct uuid per field name, so examples read the same on every run.
fn uuid_for(name: &str) -> u128 {
    // FNV-1a, widened: any stable spread does; this one needs no dependency.
    let mut hash: u128 = 0x6c62272e07bb014262b821756295c58d;
    for byte in name.bytes() {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(0x0000000001000000000000000000013B);
    }
    // Version 4 and RFC 4122 variant bits, so the value is a well-formed uuid.
    (hash & !(0xF000_u128 << 64) & !(0xC000_u128 << 48)) | (0x4000_u128 << 64) | (0x8000_u128 << 48)
}

fn uuid_text(id: u128) -> String {
    let hex = format!("{id:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `value`, a JSON value of type `ty` as the scenario search holds it, written as Rust: what a
/// generated test expects of an event field drawn from the aggregate's state.
pub fn rust_of(value: &Value, ty: &Type) -> String {
    match (ty, value) {
        (Type::Optional(_), Value::Null) => "None".to_owned(),
        (Type::Optional(inner), value) => format!("Some({})", rust_of(value, inner)),
        // Never set in the search (an id the aggregate holds): the field's default.
        (_, Value::Null) => "Default::default()".to_owned(),
        (Type::String, Value::String(text)) => format!("{text:?}.to_owned()"),
        (Type::Bool, Value::Bool(flag)) => flag.to_string(),
        (Type::Int, value) => (value.as_f64().unwrap_or(0.0).round() as i64).to_string(),
        (Type::Float, value) => format!("{:?}", value.as_f64().unwrap_or(0.0)),
        (Type::Decimal, value) => {
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            format!("rust_decimal::{}", super::rust::decimal(&text))
        }
        (Type::Uuid, Value::String(text)) => {
            let id = u128::from_str_radix(&text.replace('-', ""), 16).unwrap_or(0);
            format!("uuid::Uuid::from_u128(0x{id:032x})")
        }
        (Type::Timestamp, Value::String(text)) => {
            let seconds = text
                .parse::<chrono::DateTime<chrono::Utc>>()
                .map_or(0, |time| time.timestamp());
            format!("chrono::DateTime::from_timestamp({seconds}, 0).expect(\"a valid timestamp\")")
        }
        (Type::Date, Value::String(text)) => {
            let (year, month, day) =
                text.parse::<chrono::NaiveDate>()
                    .map_or((1970, 1, 1), |date| {
                        use chrono::Datelike;
                        (date.year(), date.month(), date.day())
                    });
            format!(
                "chrono::NaiveDate::from_ymd_opt({year}, {month}, {day}).expect(\"a valid date\")"
            )
        }
        (Type::Enum(def), Value::String(variant)) => format!("{}::{variant}", def.name),
        (Type::List(inner), Value::Array(items)) => {
            let items: Vec<String> = items.iter().map(|item| rust_of(item, inner)).collect();
            format!("vec![{}]", items.join(", "))
        }
        (Type::Value(def), Value::Object(fields)) => {
            let fields: Vec<String> = def
                .fields
                .iter()
                .map(|field| {
                    let value = fields.get(&field.name).unwrap_or(&Value::Null);
                    format!("{}: {}", field.name, rust_of(value, &field.ty))
                })
                .collect();
            format!("{} {{ {} }}", def.name, fields.join(", "))
        }
        _ => "Default::default()".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_states_json_is_written_back_as_rust_of_its_type() {
        let date = Type::Optional(Box::new(Type::Date));
        assert_eq!(rust_of(&Value::Null, &date), "None");
        assert_eq!(
            rust_of(&json!("2026-03-23"), &date),
            "Some(chrono::NaiveDate::from_ymd_opt(2026, 3, 23).expect(\"a valid date\"))"
        );
        assert_eq!(
            rust_of(&json!("2026-01-01T00:00:00Z"), &Type::Timestamp),
            "chrono::DateTime::from_timestamp(1767225600, 0).expect(\"a valid timestamp\")"
        );
        assert_eq!(
            rust_of(&json!("00000000-0000-0000-0000-000000000002"), &Type::Uuid),
            "uuid::Uuid::from_u128(0x00000000000000000000000000000002)"
        );
        assert_eq!(
            rust_of(&json!("12.50"), &Type::Decimal),
            "rust_decimal::Decimal::new(125, 1)"
        );
        assert_eq!(rust_of(&json!(3), &Type::Int), "3");
        assert_eq!(
            rust_of(&json!(["a"]), &Type::List(Box::new(Type::String))),
            "vec![\"a\".to_owned()]"
        );
        assert_eq!(rust_of(&Value::Null, &Type::Int), "Default::default()");
    }

    #[test]
    fn uuids_are_well_formed_and_distinct() {
        let a = uuid_text(uuid_for("order_id"));
        let b = uuid_text(uuid_for("customer_id"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4", "version nibble of {a}");
        assert!(
            matches!(&a[19..20], "8" | "9" | "a" | "b"),
            "variant nibble of {a}"
        );
    }

    #[test]
    fn text_and_numbers_respect_their_rules() {
        let rules = Rules {
            min_length: Some(12),
            max_length: Some(14),
            ..Rules::default()
        };
        assert_eq!(text_within("product-id", &rules), "product-idxx");
        let rules = Rules {
            max_length: Some(3),
            ..Rules::default()
        };
        assert_eq!(text_within("product-id", &rules), "pro");
        assert_eq!(
            number_within(&Rules {
                min: Some(5.0),
                ..Rules::default()
            }),
            5.0
        );
        assert_eq!(
            number_within(&Rules {
                max: Some(0.0),
                ..Rules::default()
            }),
            0.0
        );
    }
}
