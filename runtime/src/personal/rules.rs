//! Which fields of which events are personal, and whose.

use std::collections::HashMap;

use serde_json::Value;

use super::keys::Subject;
use crate::store::StoreError;

/// Where an event names the data subject a personal field is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectOf {
    /// The event's own aggregate: a member's `MemberJoined` is about that member.
    Aggregate,
    /// Another field of the event holding the subject's id, in clear: a book's `BookLent`
    /// is about the member in its `member_id`.
    Field(&'static str),
}

#[derive(Debug, Clone)]
pub(super) struct PersonalField {
    pub(super) name: &'static str,
    kind: &'static str,
    of: SubjectOf,
}

impl PersonalField {
    /// The subject this field of an event with `aggregate_id` and `payload` is about.
    pub(super) fn subject(
        &self,
        aggregate_id: &str,
        payload: &Value,
    ) -> Result<Subject, StoreError> {
        let id = match self.of {
            SubjectOf::Aggregate => aggregate_id.to_owned(),
            SubjectOf::Field(field) => match &payload[field] {
                Value::String(id) => id.clone(),
                Value::Number(id) => id.to_string(),
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "the personal field `{}` is about the {} in `{field}`, which holds {other}",
                        self.name, self.kind
                    )));
                }
            },
        };
        Ok(Subject::new(self.kind, id))
    }
}

/// The personal fields of a service's events. An event type not named here has none.
#[derive(Debug, Clone, Default)]
pub struct PersonalData {
    by_event: HashMap<&'static str, Vec<PersonalField>>,
}

impl PersonalData {
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `field` of events of type `event` as personal data about a subject of `kind`
    /// (`"Member"`), found as `of` says.
    pub fn field(
        mut self,
        event: &'static str,
        field: &'static str,
        kind: &'static str,
        of: SubjectOf,
    ) -> Self {
        self.by_event.entry(event).or_default().push(PersonalField {
            name: field,
            kind,
            of,
        });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.by_event.is_empty()
    }

    pub(super) fn fields(&self, event_type: &str) -> &[PersonalField] {
        self.by_event.get(event_type).map_or(&[], Vec::as_slice)
    }
}
