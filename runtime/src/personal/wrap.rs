//! A key-encryption key: subjects' keys kept wrapped with a key that lives outside the
//! database (a secret of the service's deployment), so a copy of the database alone opens no
//! personal field whose key was made or read since. A key kept before is wrapped as it is
//! read; until then it stays as it was.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use super::cipher;
use super::keys::Subject;
use crate::store::StoreError;

/// What a wrapped key's text starts with; a key without it was kept unwrapped.
const WRAPPED: &str = "wrapped:";

/// The key that wraps subjects' keys. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyWrap {
    key: [u8; 32],
}

/// Text that is not a wrapping key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a key that wraps personal data's keys is 32 random bytes in base64 (`openssl rand -base64 32`)"
)]
pub struct NotAKeyWrap;

impl FromStr for KeyWrap {
    type Err = NotAKeyWrap;

    /// From 32 bytes in base64, with or without padding.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim().trim_end_matches('=');
        let key = cipher::decode(text)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or(NotAKeyWrap)?;
        Ok(Self { key })
    }
}

impl fmt::Debug for KeyWrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyWrap(***)")
    }
}

impl KeyWrap {
    /// `secret` (a subject's key, as text) wrapped, bound to the subject and the key's id, so
    /// a wrapped key moved to another row does not unwrap.
    pub(crate) fn wrap(
        &self,
        subject: &Subject,
        id: Uuid,
        secret: &str,
    ) -> Result<String, StoreError> {
        let sealed =
            cipher::seal_bytes(&self.key, &context(subject, id), secret.as_bytes().to_vec())?;
        Ok(format!("{WRAPPED}{}", cipher::encode(&sealed)))
    }

    /// What [`wrap`](Self::wrap) wrapped.
    fn unwrap(&self, subject: &Subject, id: Uuid, wrapped: &str) -> Result<String, StoreError> {
        cipher::decode(wrapped)
            .and_then(|sealed| cipher::open_bytes(&self.key, &context(subject, id), &sealed))
            .and_then(|secret| String::from_utf8(secret).ok())
            .ok_or_else(|| {
                StoreError::Unavailable(format!(
                    "the key of {subject} does not unwrap: it was wrapped with another key than \
                     the one given"
                ))
            })
    }
}

/// Whether a key as kept is wrapped.
pub(crate) fn is_wrapped(stored: &str) -> bool {
    stored.starts_with(WRAPPED)
}

/// A key as the key table keeps it: unwrapped (made without a wrapping key) or wrapped.
pub(crate) fn stored_secret(
    wrap: Option<&KeyWrap>,
    subject: &Subject,
    id: Uuid,
    stored: &str,
) -> Result<String, StoreError> {
    match (stored.strip_prefix(WRAPPED), wrap) {
        (None, _) => Ok(stored.to_owned()),
        (Some(wrapped), Some(wrap)) => wrap.unwrap(subject, id, wrapped),
        (Some(_), None) => Err(StoreError::Unavailable(format!(
            "the key of {subject} is wrapped: give the service the key that wraps personal \
             data's keys"
        ))),
    }
}

fn context(subject: &Subject, id: Uuid) -> String {
    format!("{}/{}/{id}", subject.kind, subject.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(byte: u8) -> KeyWrap {
        cipher::encode(&[byte; 32]).parse().unwrap()
    }

    #[test]
    fn a_wrapped_key_unwraps_only_with_its_wrap_subject_and_id() {
        let (ann, bob, id) = (
            Subject::new("Member", "ann"),
            Subject::new("Member", "bob"),
            Uuid::new_v4(),
        );
        let wrapped = wrap(1).wrap(&ann, id, "the secret").unwrap();
        assert!(wrapped.starts_with(WRAPPED) && !wrapped.contains("secret"));
        let read = |with: Option<&KeyWrap>, subject: &Subject, id: Uuid| {
            stored_secret(with, subject, id, &wrapped)
        };
        assert_eq!(read(Some(&wrap(1)), &ann, id).unwrap(), "the secret");
        assert!(
            read(Some(&wrap(2)), &ann, id).is_err(),
            "another wrapping key"
        );
        assert!(
            read(Some(&wrap(1)), &bob, id).is_err(),
            "moved to another subject"
        );
        assert!(
            read(Some(&wrap(1)), &ann, Uuid::new_v4()).is_err(),
            "another key id"
        );
        assert!(read(None, &ann, id).is_err(), "no wrapping key");
        // A key kept before wrapping was turned on still reads.
        assert_eq!(
            stored_secret(Some(&wrap(1)), &ann, id, "plain").unwrap(),
            "plain"
        );
    }

    #[test]
    fn only_32_bytes_of_base64_wrap() {
        assert!("short".parse::<KeyWrap>().is_err());
        assert!(cipher::encode(&[0; 31]).parse::<KeyWrap>().is_err());
        let padded = format!("{}=", cipher::encode(&[7; 32]));
        assert_eq!(padded.parse::<KeyWrap>().unwrap(), wrap(7));
        assert_eq!(format!("{:?}", wrap(7)), "KeyWrap(***)");
    }
}
