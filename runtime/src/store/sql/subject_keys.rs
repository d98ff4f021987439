//! Data subjects' keys ([`SubjectKeys`]) in the event store's database.

use async_trait::async_trait;

use super::backend::{Arg, Backend, Conn};
use super::event_store::SqlEventStore;
use crate::personal::{Subject, SubjectKey, SubjectKeys, key_from_text, new_key_text};
use crate::store::StoreError;

#[async_trait]
impl<B: Backend> SubjectKeys for SqlEventStore<B> {
    async fn key_for(&self, subject: &Subject) -> Result<SubjectKey, StoreError> {
        let dialect = self.db().dialect();
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
        let secret = new_key_text()?;
        let args = [
            Arg::Text(&subject.kind),
            Arg::Text(&subject.id),
            Arg::Uuid(uuid::Uuid::new_v4()),
            Arg::Text(&secret),
            Arg::Timestamp(chrono::Utc::now()),
        ];
        self.db().pool().execute(&insert, &args).await?;
        self.existing(subject).await?.ok_or_else(|| {
            StoreError::Unavailable(format!("the key of {subject} was deleted as it was made"))
        })
    }

    async fn existing(&self, subject: &Subject) -> Result<Option<SubjectKey>, StoreError> {
        let dialect = self.db().dialect();
        let select = format!(
            "SELECT key_id, secret FROM eventwright_subject_keys WHERE kind = {} AND subject = {}",
            dialect.placeholder(1),
            dialect.placeholder(2),
        );
        let args = [Arg::Text(&subject.kind), Arg::Text(&subject.id)];
        match self.db().pool().fetch_optional(&select, &args).await? {
            Some(row) => Ok(Some(key_from_text(
                subject,
                row.uuid("key_id")?,
                &row.text("secret")?,
            )?)),
            None => Ok(None),
        }
    }

    async fn forget(&self, subject: &Subject) -> Result<bool, StoreError> {
        let dialect = self.db().dialect();
        let delete = format!(
            "DELETE FROM eventwright_subject_keys WHERE kind = {} AND subject = {}",
            dialect.placeholder(1),
            dialect.placeholder(2),
        );
        let args = [Arg::Text(&subject.kind), Arg::Text(&subject.id)];
        Ok(self.db().pool().execute(&delete, &args).await? > 0)
    }
}
