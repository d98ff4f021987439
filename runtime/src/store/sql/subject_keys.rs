//! Data subjects' keys ([`SubjectKeys`]) in the event store's database.

use async_trait::async_trait;

use super::backend::{Arg, Backend, Conn};
use super::event_store::SqlEventStore;
use crate::personal::{
    KeyWrap, Subject, SubjectKey, SubjectKeys, is_wrapped, key_from_text, new_key_text,
};
use crate::store::StoreError;

/// The keys of data subjects in the event store's database (`eventwright_subject_keys`),
/// wrapped with a [`KeyWrap`] when one is given: [`SqlEventStore::subject_keys`].
#[derive(Debug, Clone)]
pub struct SqlSubjectKeys<B> {
    store: SqlEventStore<B>,
    wrap: Option<KeyWrap>,
}

impl<B: Backend> SqlSubjectKeys<B> {
    /// Wraps a key kept before the service had a wrapping key, as it is read: from then on a
    /// copy of the database does not open it. (Unless forgotten, or replaced meanwhile.)
    async fn rewrap(
        &self,
        subject: &Subject,
        id: uuid::Uuid,
        stored: &str,
        wrap: &KeyWrap,
    ) -> Result<(), StoreError> {
        let db = self.store.db();
        let dialect = db.dialect();
        let update = format!(
            "UPDATE eventwright_subject_keys SET secret = {} \
             WHERE kind = {} AND subject = {} AND key_id = {} AND secret = {}",
            dialect.placeholder(1),
            dialect.placeholder(2),
            dialect.placeholder(3),
            dialect.placeholder(4),
            dialect.placeholder(5),
        );
        let wrapped = wrap.wrap(subject, id, stored)?;
        let args = [
            Arg::Text(&wrapped),
            Arg::Text(&subject.kind),
            Arg::Text(&subject.id),
            Arg::Uuid(id),
            Arg::Text(stored),
        ];
        db.pool().execute(&update, &args).await?;
        Ok(())
    }
}

impl<B: Backend> SqlEventStore<B> {
    /// The data subjects' keys kept beside these events; new ones wrapped with `wrap`, which
    /// also unwraps those kept wrapped (keys kept before a wrap was given still read).
    pub fn subject_keys(&self, wrap: Option<KeyWrap>) -> SqlSubjectKeys<B> {
        SqlSubjectKeys {
            store: self.clone(),
            wrap,
        }
    }
}

#[async_trait]
impl<B: Backend> SubjectKeys for SqlSubjectKeys<B> {
    async fn key_for(&self, subject: &Subject) -> Result<SubjectKey, StoreError> {
        let db = self.store.db();
        let dialect = db.dialect();
        // Two writers making the first key of one subject at once: the first insert stays,
        // and both read it back.
        let insert = format!(
            "INSERT INTO eventwright_subject_keys (kind, subject, key_id, secret, created_at) \
             VALUES ({}, {}, {}, {}, {}) ON CONFLICT (kind, subject) DO NOTHING",
            dialect.placeholder(1),
            dialect.placeholder(2),
            dialect.placeholder(3),
            dialect.placeholder(4),
            dialect.placeholder(5),
        );
        let id = uuid::Uuid::new_v4();
        let secret = new_key_text(self.wrap.as_ref(), subject, id)?;
        let args = [
            Arg::Text(&subject.kind),
            Arg::Text(&subject.id),
            Arg::Uuid(id),
            Arg::Text(&secret),
            Arg::Timestamp(chrono::Utc::now()),
        ];
        db.pool().execute(&insert, &args).await?;
        self.existing(subject).await?.ok_or_else(|| {
            StoreError::Unavailable(format!("the key of {subject} was deleted as it was made"))
        })
    }

    async fn existing(&self, subject: &Subject) -> Result<Option<SubjectKey>, StoreError> {
        let db = self.store.db();
        let dialect = db.dialect();
        let select = format!(
            "SELECT key_id, secret FROM eventwright_subject_keys WHERE kind = {} AND subject = {}",
            dialect.placeholder(1),
            dialect.placeholder(2),
        );
        let args = [Arg::Text(&subject.kind), Arg::Text(&subject.id)];
        let Some(row) = db.pool().fetch_optional(&select, &args).await? else {
            return Ok(None);
        };
        let (id, stored) = (row.uuid("key_id")?, row.text("secret")?);
        let key = key_from_text(self.wrap.as_ref(), subject, id, &stored)?;
        if let Some(wrap) = &self.wrap
            && !is_wrapped(&stored)
        {
            self.rewrap(subject, id, &stored, wrap).await?;
        }
        Ok(Some(key))
    }

    async fn forget(&self, subject: &Subject) -> Result<bool, StoreError> {
        let db = self.store.db();
        let dialect = db.dialect();
        let delete = format!(
            "DELETE FROM eventwright_subject_keys WHERE kind = {} AND subject = {}",
            dialect.placeholder(1),
            dialect.placeholder(2),
        );
        let args = [Arg::Text(&subject.kind), Arg::Text(&subject.id)];
        Ok(db.pool().execute(&delete, &args).await? > 0)
    }
}
