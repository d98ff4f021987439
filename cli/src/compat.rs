//! Event compatibility between two versions of a model (`eventwright diff`): stored events are
//! never rewritten, so every change to an event's schema either still reads what is stored,
//! or needs a new version with an upcaster.

use std::fmt;

use serde::Serialize;

use crate::model::ir::{Field, Model, Type};

/// How a change affects events already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Stored events still read as they are.
    Compatible,
    /// Stored events read through an upcaster, because the event's version went up.
    Versioned,
    /// Stored events no longer read, or lose their meaning.
    Breaking,
}

/// One change to one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `Aggregate.Event`.
    pub event: String,
    /// The version stored events were written at.
    pub version: u32,
    pub verdict: Verdict,
    pub what: String,
    /// How to make a breaking change safe, or what a versioned one needs.
    pub fix: Option<String>,
}

/// Every event change from `old` to `new`, in the old model's order, then added events.
pub fn compare(old: &Model, new: &Model) -> Vec<Change> {
    let mut changes = Vec::new();
    for aggregate in &old.aggregates {
        let new_aggregate = new.aggregates.iter().find(|a| a.name == aggregate.name);
        for event in &aggregate.events {
            let name = format!("{}.{}", aggregate.name, event.name);
            let Some(new_event) =
                new_aggregate.and_then(|a| a.events.iter().find(|e| e.name == event.name))
            else {
                changes.push(Change {
                    event: name,
                    version: event.version,
                    verdict: Verdict::Breaking,
                    what: "the event was removed".to_owned(),
                    fix: Some(format!(
                        "keep `{}` in the model (stored events still hold it); stop emitting it \
                         instead",
                        event.name
                    )),
                });
                continue;
            };
            let mut found = Vec::new();
            let sides = Sides { old, new };
            sides.fields(&event.fields, &new_event.fields, "", &mut found);
            let bumped = new_event.version > event.version;
            if new_event.version < event.version {
                found.push((
                    Verdict::Breaking,
                    format!(
                        "the version went down from {} to {}",
                        event.version, new_event.version
                    ),
                ));
            } else if bumped && found.is_empty() {
                found.push((
                    Verdict::Compatible,
                    format!(
                        "the version went up from {} to {} with the same fields",
                        event.version, new_event.version
                    ),
                ));
            }
            for (verdict, what) in found {
                let (verdict, fix) = match verdict {
                    Verdict::Breaking if bumped => (
                        Verdict::Versioned,
                        Some(format!(
                            "needs an upcaster from v{} to v{} for the events already stored",
                            event.version, new_event.version
                        )),
                    ),
                    Verdict::Breaking if new_event.version >= event.version => (
                        Verdict::Breaking,
                        Some(format!(
                            "leave v{0} as it was and publish the change as `version: {1}` of \
                             `{2}`, with an upcaster that turns stored v{0} payloads into v{1}; \
                             or make the change compatible (add fields as optional)",
                            event.version,
                            event.version + 1,
                            event.name
                        )),
                    ),
                    Verdict::Breaking => {
                        (Verdict::Breaking, Some("versions only go up".to_owned()))
                    }
                    other => (other, None),
                };
                changes.push(Change {
                    event: name.clone(),
                    version: event.version,
                    verdict,
                    what,
                    fix,
                });
            }
        }
    }
    for aggregate in &new.aggregates {
        let old_aggregate = old.aggregates.iter().find(|a| a.name == aggregate.name);
        for event in &aggregate.events {
            if old_aggregate.is_none_or(|a| a.events.iter().all(|e| e.name != event.name)) {
                changes.push(Change {
                    event: format!("{}.{}", aggregate.name, event.name),
                    version: event.version,
                    verdict: Verdict::Compatible,
                    what: "a new event".to_owned(),
                    fix: None,
                });
            }
        }
    }
    changes
}

/// The two models, for resolving enum and value-object names on each side.
#[derive(Clone, Copy)]
struct Sides<'a> {
    old: &'a Model,
    new: &'a Model,
}

impl Sides<'_> {
    fn fields(self, old: &[Field], new: &[Field], prefix: &str, out: &mut Vec<(Verdict, String)>) {
        let added: Vec<&Field> = new
            .iter()
            .filter(|f| old.iter().all(|o| o.name != f.name))
            .collect();
        for field in old {
            let path = format!("{prefix}{}", field.name);
            match new.iter().find(|f| f.name == field.name) {
                Some(now) => self.types(&field.ty, &now.ty, &path, out),
                None => {
                    let renamed = added.iter().find(|f| f.ty == field.ty);
                    let what = match renamed {
                        Some(to) => format!(
                            "field `{path}` was removed (renamed to `{prefix}{}`?)",
                            to.name
                        ),
                        None => format!("field `{path}` was removed"),
                    };
                    out.push((Verdict::Breaking, what));
                }
            }
        }
        for field in added {
            let path = format!("{prefix}{}", field.name);
            if matches!(field.ty, Type::Optional(_)) {
                out.push((Verdict::Compatible, format!("new optional field `{path}`")));
            } else {
                out.push((
                    Verdict::Breaking,
                    format!(
                        "new required field `{path}` ({}), which stored events lack",
                        type_name(&field.ty)
                    ),
                ));
            }
        }
    }

    fn types(self, old: &Type, new: &Type, path: &str, out: &mut Vec<(Verdict, String)>) {
        match (old, new) {
            (Type::Optional(a), Type::Optional(b)) | (Type::List(a), Type::List(b)) => {
                self.types(a, b, path, out)
            }
            (a, Type::Optional(b)) => {
                out.push((
                    Verdict::Compatible,
                    format!("field `{path}` became optional"),
                ));
                self.types(a, b, path, out);
            }
            (Type::Enum(a), Type::Enum(b)) => {
                let variants = |model: &Model, name: &str| {
                    model
                        .enums
                        .iter()
                        .find(|e| e.name == name)
                        .map(|e| e.variants.clone())
                        .unwrap_or_default()
                };
                let (before, after) = (variants(self.old, a), variants(self.new, b));
                for variant in before.iter().filter(|v| !after.contains(v)) {
                    out.push((
                        Verdict::Breaking,
                        format!(
                            "`{path}` lost the variant `{variant}`, which stored events may hold"
                        ),
                    ));
                }
                for variant in after.iter().filter(|v| !before.contains(v)) {
                    out.push((
                        Verdict::Compatible,
                        format!("`{path}` has a new variant `{variant}`"),
                    ));
                }
            }
            (Type::Value(a), Type::Value(b)) => {
                let fields = |model: &Model, name: &str| {
                    model
                        .values
                        .iter()
                        .find(|v| v.name == name)
                        .map(|v| v.fields.clone())
                        .unwrap_or_default()
                };
                self.fields(
                    &fields(self.old, a),
                    &fields(self.new, b),
                    &format!("{path}."),
                    out,
                );
            }
            (a, b) if a == b => {}
            (a, b) => out.push((
                Verdict::Breaking,
                format!(
                    "field `{path}` changed type from {} to {}",
                    type_name(a),
                    type_name(b)
                ),
            )),
        }
    }
}

/// A type as the model file spells it.
fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "string".into(),
        Type::Bool => "bool".into(),
        Type::Int => "int".into(),
        Type::Float => "float".into(),
        Type::Decimal => "decimal".into(),
        Type::Uuid => "uuid".into(),
        Type::Timestamp => "timestamp".into(),
        Type::Date => "date".into(),
        Type::Enum(name) | Type::Value(name) => name.clone(),
        Type::List(inner) => format!("list<{}>", type_name(inner)),
        Type::Optional(inner) => format!("optional<{}>", type_name(inner)),
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Verdict::Compatible => "compatible",
            Verdict::Versioned => "versioned ",
            Verdict::Breaking => "BREAKING  ",
        };
        write!(
            f,
            "{verdict} {} v{}: {}",
            self.event, self.version, self.what
        )?;
        if let Some(fix) = &self.fix {
            write!(f, "\n           fix: {fix}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
