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

/// Where the JWKS document is.
#[derive(Debug, Clone)]
pub(super) enum Source {
    /// At this URL.
    Url(String),
    /// Where the issuer's OpenID Connect discovery document
    /// (`<issuer>/.well-known/openid-configuration`) says, as its `jwks_uri`: asked again at
    /// each fetch, so an issuer that moves its keys is followed.
    Discovered { issuer: String },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(url) => f.write_str(url),
            Self::Discovered { issuer } => write!(f, "{}", discovery_url(issuer)),
        }
    }
}

fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Why the keys could not be fetched.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error("the discovery document has no `jwks_uri`")]
    NoJwksUri,
    #[error("the discovery document is issuer `{0}`'s")]
    OtherIssuer(String),
}

#[derive(Debug)]
pub(super) struct JwksCache {
    source: Source,
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
    pub(super) fn new(source: Source, refresh: Duration) -> Self {
        Self {
            source,
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
            let fetched = self.fetch().await;
            // Stamped once the fetch has ended, so the requests that waited behind a fetch
            // that timed out do not each try again.
            held.tried = Some(Instant::now());
            match fetched {
                Ok(set) => {
                    held.set = Some(set);
                    held.fetched = held.tried;
                }
                // Keys fetched before still serve while the issuer is down.
                Err(error) => {
                    tracing::warn!(source = %self.source, %error, "JWKS not fetched; keeping any keys held");
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
                self.source
            ))
        })
    }

    async fn fetch(&self) -> Result<JwkSet, FetchError> {
        let url = match &self.source {
            Source::Url(url) => url.clone(),
            Source::Discovered { issuer } => {
                let document: serde_json::Value = self.get(&discovery_url(issuer)).await?;
                // OpenID Connect Discovery: the document must be the issuer's own.
                let named = document["issuer"].as_str().unwrap_or_default();
                if named.trim_end_matches('/') != issuer.trim_end_matches('/') {
                    return Err(FetchError::OtherIssuer(named.to_owned()));
                }
                document["jwks_uri"]
                    .as_str()
                    .ok_or(FetchError::NoJwksUri)?
                    .to_owned()
            }
        };
        Ok(self.get(&url).await?)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, reqwest::Error> {
        self.client
            .get(url)
            .send()
            .await?
            .error_for_status()?
            .json::<T>()
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
