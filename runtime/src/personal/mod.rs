//! Personal data that can be forgotten (feature `personal`): crypto-shredding.
//!
//! The fields a service marks personal are sealed with a key of their data subject (a member,
//! a patient) before their event is stored, and opened when it is read. Forgetting the subject
//! deletes its key: its fields can never be read again from the event store or a broker's
//! copy, and read models rebuilt afterwards show them erased (`null`). Events stay appended
//! and whole; only what they said about the subject is gone. The keys live in the event
//! store's database (`eventwright_subject_keys`), wrapped with a [`KeyWrap`] kept outside it
//! when one is given: then a copy of the database alone opens nothing sealed with a key made
//! or read since (keys kept before are wrapped as they are read). Unwrapped, a backup of the
//! whole database holds them too, and opens what it holds until it is itself deleted.
//!
//! - [`PersonalData`]: which fields of which events are personal, and whose;
//! - [`SubjectKeys`]: where keys are kept (the event store's database), and [`KeyWrap`], what
//!   wraps them there;
//! - [`Shredder`]: seals and opens events with them;
//! - [`SealedEventStore`] and [`SealedFeed`]: an event store and a feed that seal and open as
//!   events pass, so nothing else in the service sees a sealed field.

mod cipher;
mod feed;
mod keys;
mod rules;
mod store;
mod wrap;

pub use feed::SealedFeed;
pub use keys::{Subject, SubjectKey, SubjectKeys};
pub(crate) use keys::{key_from_text, new_key_text};
pub use rules::{PersonalData, SubjectOf};
pub use store::SealedEventStore;
pub(crate) use wrap::is_wrapped;
pub use wrap::{KeyWrap, NotAKeyWrap};

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::event::{EventEnvelope, NewEvent};
use crate::store::StoreError;

/// Seals the personal fields of events as they are stored, and opens them as they are read.
#[derive(Debug, Clone)]
pub struct Shredder {
    rules: Arc<PersonalData>,
    keys: Arc<dyn SubjectKeys>,
}

impl Shredder {
    pub fn new(rules: PersonalData, keys: Arc<dyn SubjectKeys>) -> Self {
        Self {
            rules: Arc::new(rules),
            keys,
        }
    }

    /// Forgets `subject`: its key is deleted, and with it every personal field sealed with
    /// it. `false` when there was no key (never seen, or forgotten before).
    pub async fn forget(&self, subject: &Subject) -> Result<bool, StoreError> {
        self.keys.forget(subject).await
    }

    /// Seals the personal fields of `events` in place, making their subjects' keys as needed.
    pub async fn seal(&self, events: &mut [NewEvent]) -> Result<(), StoreError> {
        let mut keys = HashMap::new();
        for event in events {
            let id = event.event_id;
            let fields = self.rules.fields(&event.event_type);
            for field in fields {
                let Some(value) = event.payload.get(field.name) else {
                    continue;
                };
                if value.is_null() {
                    continue;
                }
                let subject = field.subject(&event.aggregate_id, &event.payload)?;
                let key = match keys.get(&subject) {
                    Some(key) => key,
                    None => {
                        let key = self.keys.key_for(&subject).await?;
                        keys.entry(subject).or_insert(key)
                    }
                };
                let sealed = cipher::seal(key, &cipher::context(id, field.name), value)?;
                event.payload[field.name] = sealed;
            }
        }
        Ok(())
    }

    /// Opens the personal fields of `event` in place; those whose subject was forgotten
    /// become `null`.
    pub async fn open(&self, event: &mut EventEnvelope) -> Result<(), StoreError> {
        let mut keys: HashMap<Subject, Option<SubjectKey>> = HashMap::new();
        self.open_with(event, &mut keys).await
    }

    /// Opens a batch of events, looking each subject's key up once.
    pub async fn open_all(&self, events: Vec<&mut EventEnvelope>) -> Result<(), StoreError> {
        let mut keys = HashMap::new();
        for event in events {
            self.open_with(event, &mut keys).await?;
        }
        Ok(())
    }

    async fn open_with(
        &self,
        event: &mut EventEnvelope,
        keys: &mut HashMap<Subject, Option<SubjectKey>>,
    ) -> Result<(), StoreError> {
        let id = event.event_id;
        for field in self.rules.fields(&event.event_type) {
            let Some(sealed) = event
                .payload
                .get(field.name)
                .filter(|v| cipher::is_sealed(v))
            else {
                continue;
            };
            let subject = field.subject(&event.aggregate_id, &event.payload)?;
            let key = match keys.get(&subject) {
                Some(key) => key.as_ref(),
                None => {
                    let key = self.keys.existing(&subject).await?;
                    keys.entry(subject).or_insert(key).as_ref()
                }
            };
            let opened = match key {
                Some(key) => cipher::open(key, &cipher::context(id, field.name), sealed)?,
                None => None,
            };
            event.payload[field.name] = opened.unwrap_or(Value::Null);
        }
        Ok(())
    }
}
