//! Where each data subject's key is kept.

use std::fmt;

use async_trait::async_trait;
use uuid::Uuid;

use super::wrap::{KeyWrap, stored_secret};
use crate::store::StoreError;

/// Whom personal data is about: a subject of a kind (`Member`), by its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject {
    pub kind: String,
    pub id: String,
}

impl Subject {
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            id: id.into(),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.id)
    }
}

/// A subject's key, and its id: a field sealed with a key since forgotten names a key the
/// subject no longer has, even once the subject has a new one. Its `Debug` hides the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectKey {
    pub id: Uuid,
    secret: [u8; 32],
}

impl SubjectKey {
    pub fn new(id: Uuid, secret: [u8; 32]) -> Self {
        Self { id, secret }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.secret
    }
}

impl fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubjectKey({}, ***)", self.id)
    }
}

/// The keys of data subjects, one each.
#[async_trait]
pub trait SubjectKeys: fmt::Debug + Send + Sync + 'static {
    /// The subject's key, made now if it has none: what seals a new event's fields.
    async fn key_for(&self, subject: &Subject) -> Result<SubjectKey, StoreError>;

    /// The subject's key, `None` once it was forgotten (or never made).
    async fn existing(&self, subject: &Subject) -> Result<Option<SubjectKey>, StoreError>;

    /// Deletes the subject's key; `false` when it had none.
    async fn forget(&self, subject: &Subject) -> Result<bool, StoreError>;
}

/// A fresh random key, as kept in a key table: base64, wrapped when `wrap` is given.
pub(crate) fn new_key_text(
    wrap: Option<&KeyWrap>,
    subject: &Subject,
    id: Uuid,
) -> Result<String, StoreError> {
    let text = super::cipher::encode_key(&super::cipher::new_key()?);
    match wrap {
        Some(wrap) => wrap.wrap(subject, id, &text),
        None => Ok(text),
    }
}

/// A key as read back from a key table, unwrapped with `wrap` when it was kept wrapped.
pub(crate) fn key_from_text(
    wrap: Option<&KeyWrap>,
    subject: &Subject,
    id: Uuid,
    text: &str,
) -> Result<SubjectKey, StoreError> {
    let text = stored_secret(wrap, subject, id, text)?;
    super::cipher::decode_key(&text)
        .map(|secret| SubjectKey::new(id, secret))
        .ok_or_else(|| StoreError::Corrupt(format!("the key of {subject} is not a key")))
}
