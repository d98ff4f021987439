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
    keys: Mutex<Option<Fetched>>,
}

#[derive(Debug)]
struct Fetched {
    set: JwkSet,
    at: Instant,
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
            keys: Mutex::new(None),
        }
    }

    /// The key `kid` names (the only key, when the token names none and there is one).
    pub(super) async fn key(&self, kid: Option<&str>) -> Result<DecodingKey, ApiError> {
        let mut keys = self.keys.lock().await;
        let stale = keys.as_ref().is_none_or(|fetched| {
            let age = fetched.at.elapsed();
            age >= self.refresh || (age >= UNKNOWN_KEY_REFETCH && find(&fetched.set, kid).is_none())
        });
        if stale {
            match self.fetch().await {
                Ok(set) => {
                    *keys = Some(Fetched {
                        set,
                        at: Instant::now(),
                    })
                }
                // Keys fetched before still serve while the issuer is down.
                Err(error) if keys.is_some() => {
                    tracing::warn!(url = %self.url, %error, "JWKS not refreshed; keeping the keys held");
                }
                Err(error) => {
                    tracing::warn!(url = %self.url, %error, "JWKS not fetched");
                    return Err(ApiError::retry_later(
                        "auth_unavailable",
                        "the keys that check tokens cannot be fetched from their issuer",
                        5,
                    ));
                }
            }
        }
        let set = &keys
            .as_ref()
            .expect("fetched above, or an error returned")
            .set;
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
