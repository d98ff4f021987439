//! AES-256-GCM over one JSON value, bound to the event and field it belongs to.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as BASE64;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{Value, json};
use uuid::Uuid;

use super::keys::SubjectKey;
use crate::store::StoreError;

/// A sealed field: `{"$sealed": "<base64 of nonce and ciphertext>", "$key": "<key id>"}`.
const SEALED: &str = "$sealed";
const KEY: &str = "$key";

/// What a sealed value is bound to: it opens only as this field of this event, so a sealed
/// value copied elsewhere does not open.
pub(super) fn context(event_id: Uuid, field: &str) -> String {
    format!("{event_id}/{field}")
}

pub(super) fn is_sealed(value: &Value) -> bool {
    value.get(SEALED).is_some_and(Value::is_string)
}

/// A fresh random key.
pub(super) fn new_key() -> Result<[u8; 32], StoreError> {
    let mut key = [0; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| StoreError::Unavailable("the system's random source failed".to_owned()))?;
    Ok(key)
}

pub(super) fn seal(key: &SubjectKey, context: &str, value: &Value) -> Result<Value, StoreError> {
    let text = serde_json::to_vec(value).map_err(|error| StoreError::Corrupt(error.to_string()))?;
    let sealed = seal_bytes(key.bytes(), context, text)?;
    Ok(json!({ SEALED: BASE64.encode(sealed), KEY: key.id }))
}

/// `text` sealed with `key`, bound to `context`: a fresh nonce, then the ciphertext and tag.
pub(super) fn seal_bytes(
    key: &[u8],
    context: &str,
    mut text: Vec<u8>,
) -> Result<Vec<u8>, StoreError> {
    let mut nonce = [0; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| StoreError::Unavailable("the system's random source failed".to_owned()))?;
    cipher(key)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(context.as_bytes()),
            &mut text,
        )
        .map_err(|_| StoreError::Corrupt(format!("{context} could not be sealed")))?;
    let mut sealed = nonce.to_vec();
    sealed.extend(text);
    Ok(sealed)
}

/// What [`seal_bytes`] sealed with `key` for `context`; `None` when it does not open so.
pub(super) fn open_bytes(key: &[u8], context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() <= NONCE_LEN {
        return None;
    }
    let (nonce, text) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut text = text.to_vec();
    let opened = cipher(key)
        .open_in_place(nonce, Aad::from(context.as_bytes()), &mut text)
        .ok()?;
    Some(opened.to_vec())
}

/// The field `sealed` held, `None` when it was sealed with another key than `key`: one its
/// subject no longer has.
pub(super) fn open(
    key: &SubjectKey,
    context: &str,
    sealed: &Value,
) -> Result<Option<Value>, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("the personal field {context} does not open"));
    let sealed_with = sealed[KEY].as_str().and_then(|id| id.parse::<Uuid>().ok());
    if sealed_with.ok_or_else(corrupt)? != key.id {
        return Ok(None);
    }
    let bytes = sealed[SEALED]
        .as_str()
        .and_then(|text| BASE64.decode(text).ok())
        .ok_or_else(corrupt)?;
    let opened = open_bytes(key.bytes(), context, &bytes).ok_or_else(corrupt)?;
    serde_json::from_slice(&opened)
        .map(Some)
        .map_err(|_| corrupt())
}

fn cipher(key: &[u8]) -> LessSafeKey {
    let key = UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key is an AES-256 key");
    LessSafeKey::new(key)
}

/// Bytes as text, as keys and sealed values are kept.
pub(super) fn encode(bytes: &[u8]) -> String {
    BASE64.encode(bytes)
}

/// What [`encode`] made of some bytes; `None` when it is not such text.
pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
}

/// `key` as it is kept in the key table.
pub(super) fn encode_key(key: &[u8; 32]) -> String {
    BASE64.encode(key)
}

pub(super) fn decode_key(text: &str) -> Option<[u8; 32]> {
    BASE64.decode(text).ok()?.try_into().ok()
}
