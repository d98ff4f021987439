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
            fields(&event.fields, &new_event.fields, "", &mut found);
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

fn fields(old: &[Field], new: &[Field], prefix: &str, out: &mut Vec<(Verdict, String)>) {
    let added: Vec<&Field> = new
        .iter()
        .filter(|f| old.iter().all(|o| o.name != f.name))
        .collect();
    for field in old {
        let path = format!("{prefix}{}", field.name);
        match new.iter().find(|f| f.name == field.name) {
            Some(now) => types(&field.ty, &now.ty, &path, out),
            None => {
                // By how the type is spelled: a value object with the same name counts as the
                // same type even when its fields changed.
                let renamed = added
                    .iter()
                    .find(|f| f.ty.to_string() == field.ty.to_string());
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
                    field.ty
                ),
            ));
        }
    }
}

fn types(old: &Type, new: &Type, path: &str, out: &mut Vec<(Verdict, String)>) {
    match (old, new) {
        (Type::Optional(a), Type::Optional(b)) | (Type::List(a), Type::List(b)) => {
            types(a, b, path, out)
        }
        (a, Type::Optional(b)) => {
            out.push((
                Verdict::Compatible,
                format!("field `{path}` became optional"),
            ));
            types(a, b, path, out);
        }
        (Type::Enum(before), Type::Enum(after)) => {
            for variant in before
                .variants
                .iter()
                .filter(|v| !after.variants.contains(v))
            {
                out.push((
                    Verdict::Breaking,
                    format!("`{path}` lost the variant `{variant}`, which stored events may hold"),
                ));
            }
            for variant in after
                .variants
                .iter()
                .filter(|v| !before.variants.contains(v))
            {
                out.push((
                    Verdict::Compatible,
                    format!("`{path}` has a new variant `{variant}`"),
                ));
            }
        }
        (Type::Value(before), Type::Value(after)) => {
            fields(&before.fields, &after.fields, &format!("{path}."), out);
        }
        (a, b) if a == b => {}
        (a, b) => out.push((
            Verdict::Breaking,
            format!("field `{path}` changed type from {a} to {b}"),
        )),
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
