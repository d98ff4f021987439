//! An issuer's signing keys, from its JWKS document: fetched once, kept, and fetched again when
//! they are old or a token names a key they lack.

use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::JwkSet;
use tokio::sync::Mutex;

use super::invalid;
use crate::http::error::ApiError;

/// How soon a token naming an unknown key may make the keys be fetched again: tokens with
/// made-up key ids must not turn the service into a client hammering the issuer.
const UNKNOWN_KEY_REFETCH: Duration = Duration::from_secs(5);

/// How long one fetch of the document may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub(super) struct JwksCache {
    url: String,
    refresh: Duration,
    client: reqwest::Client,
    keys: Mutex<Held>,
}

/// The keys held, and when they were last fetched and last tried: a failed try counts, so an
/// issuer that is down is asked again every few seconds, not on every request.
#[derive(Debug, Default)]
struct Held {
    set: Option<JwkSet>,
    fetched: Option<Instant>,
    tried: Option<Instant>,
}

impl JwksCache {
    pub(super) fn new(url: String, refresh: Duration) -> Self {
        Self {
            url,
            refresh,
            client: reqwest::Client::builder()
                .timeout(FETCH_TIMEOUT)
                .build()
                .unwrap_or_default(),
            keys: Mutex::new(Held::default()),
        }
    }

    /// The key `kid` names (the only key, when the token names none and there is one).
    pub(super) async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, ApiError> {
        let mut held = self.keys.lock().await;
        let old = held
            .fetched
            .is_none_or(|fetched| fetched.elapsed() >= self.refresh);
        let missing = held.set.as_ref().is_none_or(|set| find(set, kid).is_none());
        let may_try = held
            .tried
            .is_none_or(|tried| tried.elapsed() >= UNKNOWN_KEY_REFETCH);
        if (old || missing) && may_try {
            held.tried = Some(Instant::now());
            match self.fetch().await {
                Ok(set) => {
                    held.set = Some(set);
                    held.fetched = held.tried;
                }
                // Keys fetched before still serve while the issuer is down.
                Err(error) => {
                    tracing::warn!(url = %self.url, %error, "JWKS not fetched; keeping any keys held");
                }
            }
        }
        let Some(set) = &held.set else {
            return Err(ApiError::retry_later(
                "auth_unavailable",
                "the keys that check tokens cannot be fetched from their issuer",
                5,
            ));
        };
        let jwk = find(set, kid)
            .ok_or_else(|| invalid("the token names a key the issuer does not publish"))?;
        DecodingKey::from_jwk(jwk).map_err(|error| {
            ApiError::internal(&format!(
                "the issuer at {} publishes a key this service cannot use: {error}",
                self.url
            ))
        })
    }

    async fn fetch(&self) -> Result<JwkSet, reqwest::Error> {
        self.client
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json::<JwkSet>()
            .await
    }
}

fn find<'s>(set: &'s JwkSet, kid: Option<&str>) -> Option<&'s jsonwebtoken::jwk::Jwk> {
    match kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
}
