//! What a service with personal data renders: the fields to seal, whom they are about, and the
//! read models that copy them (which a forgotten subject's rows stay in until rebuilt).

use super::layout;
use super::names::snake;
use crate::model::ir::{Model, Projection};

/// The personal data of a model that has any.
pub(super) struct Personal {
    /// `PersonalData::new().field(...)...`, laid out as the body of a function.
    pub rules: String,
    /// The kinds of subject, as `forget` takes them: the aggregates personal data is about.
    pub subjects: Vec<String>,
    /// The projections whose rows copy a personal field, as `projections rebuild` names them.
    pub projections: Vec<String>,
}

/// `pub const NAME: &[&str] = &["a", "b"];`, laid out.
pub(super) fn str_array_const(name: &str, items: &[String]) -> String {
    let head = format!("pub const {name}: &[&str] = ");
    let quoted: Vec<String> = items.iter().map(|item| format!("{item:?}")).collect();
    let value = layout::lone_item(&quoted, head.len())
        .unwrap_or_else(|| layout::array("&[", &quoted, 0, head.len()));
    format!("{head}{value};")
}

impl Personal {
    /// `subject_id`'s match arms: each kind of subject's id, read as its aggregate's id type.
    pub(super) fn subject_arms(&self) -> Vec<String> {
        self.subjects
            .iter()
            .map(|subject| {
                format!(
                    "{subject:?} => canonical::<{}::{subject}>(id),",
                    snake(subject)
                )
            })
            .collect()
    }

    /// `SUBJECTS` and `PERSONAL_PROJECTIONS`, declared.
    pub(super) fn consts(&self) -> (String, String) {
        (
            str_array_const("SUBJECTS", &self.subjects),
            str_array_const("PERSONAL_PROJECTIONS", &self.projections),
        )
    }

    pub(super) fn of(model: &Model) -> Option<Self> {
        let mut calls = Vec::new();
        let mut subjects = Vec::new();
        for aggregate in &model.aggregates {
            for event in &aggregate.events {
                let Some(personal) = &event.personal else {
                    continue;
                };
                let of = match &personal.id {
                    None => "SubjectOf::Aggregate".to_owned(),
                    Some(field) => format!("SubjectOf::Field({field:?})"),
                };
                for field in &personal.fields {
                    let args = [
                        format!("{:?}", event.name),
                        format!("{field:?}"),
                        format!("{:?}", personal.about),
                        of.clone(),
                    ];
                    calls.push(layout::call(".field", &args, 8, ""));
                }
                if !subjects.contains(&personal.about) {
                    subjects.push(personal.about.clone());
                }
            }
        }
        if calls.is_empty() {
            return None;
        }
        let projections = model
            .projections
            .iter()
            .filter(|projection| copies_personal(projection))
            .map(|projection| snake(&projection.name))
            .collect();
        Some(Self {
            rules: layout::chain("PersonalData::new()", &calls, 4, ""),
            subjects,
            projections,
        })
    }
}

/// Whether a handler of `projection` copies a personal field of its event into the row.
fn copies_personal(projection: &Projection) -> bool {
    projection.handlers.iter().any(|handler| {
        let Some(personal) = &handler.event.personal else {
            return false;
        };
        handler.changes.iter().any(|change| {
            change
                .copied()
                .is_some_and(|source| personal.fields.contains(&source.name))
        })
    })
}
