//! Bearer-token authentication for HTTP services (feature `auth`): a JWT checked against a
//! shared secret (HS256) or an issuer's published keys (a JWKS document, fetched and cached),
//! with its issuer, audience and expiry; the caller's subject and roles as a [`Principal`].
//!
//! Every failure is a problem (`application/problem+json`) with `WWW-Authenticate: Bearer`:
//! 401 `unauthenticated` without a token, 401 `invalid_token` for a token that does not hold
//! (its reason in `detail`, never the token), 403 `forbidden` for a caller without a role the
//! route asks for, 503 `auth_unavailable` while the issuer's keys cannot be fetched.

mod gate;
mod jwks;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::caller::Principal;
use super::error::ApiError;
pub use gate::{Gate, issue_token, issue_token_with};
use jwks::{JwksCache, Source};

/// Where the keys that sign tokens come from.
#[derive(Clone)]
pub enum TokenKeys {
    /// HS256 with a secret shared with whoever issues the tokens.
    Secret(Vec<u8>),
    /// The issuer's public keys (RS256, ES256 and their kin), from its JWKS document at `url`:
    /// fetched on first use, again once `refresh` has passed, and again (at most every few
    /// seconds) when a token names a key the document did not have, as after a rotation.
    Jwks { url: String, refresh: Duration },
    /// The keys of the OpenID Connect issuer at `issuer`, found through its discovery document
    /// (`<issuer>/.well-known/openid-configuration`, its `jwks_uri`), then kept as
    /// [`Jwks`](Self::Jwks) keeps them.
    Discovered { issuer: String, refresh: Duration },
}

/// Never shows the secret.
impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Secret(_) => f.write_str("Secret(***)"),
            Self::Jwks { url, refresh } => f
                .debug_struct("Jwks")
                .field("url", url)
                .field("refresh", refresh)
                .finish(),
            Self::Discovered { issuer, refresh } => f
                .debug_struct("Discovered")
                .field("issuer", issuer)
                .field("refresh", refresh)
                .finish(),
        }
    }
}

/// What a token must be to be taken.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub keys: TokenKeys,
    /// The `iss` a token must carry, when set.
    pub issuer: Option<String>,
    /// An `aud` a token must carry, when set.
    pub audience: Option<String>,
    /// The claim that lists the caller's roles: an array of strings, or one string of names
    /// separated by spaces (as OAuth's `scope` is).
    pub roles_claim: String,
    /// The claim naming the caller's tenant, for a service that serves several
    /// ([`Tenants`](crate::http::Tenants)); `None` reads none.
    pub tenant_claim: Option<String>,
    /// How far clocks may disagree when checking `exp` and `nbf`.
    pub leeway: Duration,
}

impl AuthConfig {
    /// Tokens signed with `keys`, any issuer and audience, roles in `roles`, a minute of leeway.
    pub fn new(keys: TokenKeys) -> Self {
        Self {
            keys,
            issuer: None,
            audience: None,
            roles_claim: "roles".to_owned(),
            tenant_claim: None,
            leeway: Duration::from_secs(60),
        }
    }
}

/// Checks the bearer tokens of requests. Cheap to clone: clones share the cached keys.
#[derive(Debug, Clone)]
pub struct Authenticator {
    config: Arc<AuthConfig>,
    jwks: Option<Arc<JwksCache>>,
}

impl Authenticator {
    pub fn new(config: AuthConfig) -> Self {
        let jwks = match &config.keys {
            TokenKeys::Secret(_) => None,
            TokenKeys::Jwks { url, refresh } => {
                Some(Arc::new(JwksCache::new(Source::Url(url.clone()), *refresh)))
            }
            TokenKeys::Discovered { issuer, refresh } => Some(Arc::new(JwksCache::new(
                Source::Discovered {
                    issuer: issuer.clone(),
                },
                *refresh,
            ))),
        };
        Self {
            config: Arc::new(config),
            jwks,
        }
    }

    /// The claim naming the caller's tenant, when tokens are read for one.
    pub fn tenant_claim(&self) -> Option<&str> {
        self.config.tenant_claim.as_deref()
    }

    /// The caller of a request with these headers, from its `Authorization: Bearer` token.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            let mut error = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send a bearer token: `Authorization: Bearer <token>`",
            );
            error.www_authenticate = Some("Bearer".to_owned());
            return Err(error);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|text| {
                let (scheme, token) = text.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty())
            .ok_or_else(|| invalid("the Authorization header is not `Bearer <token>`"))?;
        self.verify(token).await
    }

    /// The caller a token names, once its signature, expiry, issuer and audience hold.
    pub async fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let head =
            jsonwebtoken::decode_header(token).map_err(|_| invalid("the token is not a JWT"))?;
        let (key, algorithm) = match (&self.config.keys, &self.jwks) {
            (TokenKeys::Secret(secret), _) => (DecodingKey::from_secret(secret), Algorithm::HS256),
            (_, Some(jwks)) => (jwks.key(head.kid.as_deref()).await?, head.alg),
            (_, None) => unreachable!("a JWKS cache is made with an issuer's keys"),
        };
        // A secret signs with HS256 alone; an issuer's published keys are public, so with
        // them only a public-key algorithm proves anything.
        let taken = match &self.config.keys {
            TokenKeys::Secret(_) => algorithm == Algorithm::HS256,
            TokenKeys::Jwks { .. } | TokenKeys::Discovered { .. } => !matches!(
                algorithm,
                Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
            ),
        };
        if head.alg != algorithm || !taken {
            return Err(invalid(&format!(
                "tokens signed with {:?} are not taken",
                head.alg
            )));
        }
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.config.leeway.as_secs();
        // A claim that is checked must be there: a token without `aud`, made for another
        // service by the same issuer, does not pass for this one's.
        let mut required = vec!["exp", "sub"];
        required.extend(self.config.issuer.as_ref().map(|_| "iss"));
        required.extend(self.config.audience.as_ref().map(|_| "aud"));
        validation.set_required_spec_claims(&required);
        validation.validate_nbf = true;
        match &self.config.issuer {
            Some(issuer) => validation.set_issuer(&[issuer]),
            None => validation.iss = None,
        }
        match &self.config.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
            .map_err(|error| invalid(reason(error.kind())))?
            .claims;
        let subject = claims["sub"]
            .as_str()
            .filter(|subject| !subject.is_empty())
            .ok_or_else(|| invalid("the token has no subject (`sub`)"))?
            .to_owned();
        // A tenant is a name, never a number or an object that would have to be spelled out.
        let tenant = self
            .config
            .tenant_claim
            .as_deref()
            .and_then(|claim| claims[claim].as_str())
            .map(str::to_owned);
        // Required and checked above: a number of seconds since the epoch.
        let expires_at = claims["exp"]
            .as_f64()
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
            .and_then(|since| std::time::UNIX_EPOCH.checked_add(since));
        Ok(Principal {
            subject,
            roles: roles(&claims[self.config.roles_claim.as_str()]),
            tenant,
            expires_at,
        })
    }
}

/// The roles a claim lists: an array of strings, or names separated by spaces.
fn roles(claim: &Value) -> Vec<String> {
    match claim {
        Value::Array(items) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        Value::String(names) => names.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// Why a token was refused, in words that give nothing away.
fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet",
        ErrorKind::InvalidIssuer => "the token is from another issuer",
        ErrorKind::InvalidAudience => "the token is for another audience",
        ErrorKind::InvalidSignature => "the token's signature does not match",
        ErrorKind::MissingRequiredClaim(_) => "the token lacks a claim it must carry",
        ErrorKind::InvalidAlgorithm => "the token is signed with another algorithm",
        _ => "the token cannot be read",
    }
}

/// 401 `invalid_token`.
fn invalid(detail: &str) -> ApiError {
    let mut error = ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", detail);
    error.www_authenticate = Some(format!(
        "Bearer error=\"invalid_token\", error_description=\"{detail}\""
    ));
    error
}
