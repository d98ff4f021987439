//! What stands before each route: nothing, or an [`Authenticator`] and the roles the route asks
//! for.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use super::Authenticator;
use crate::http::ApiError;
use crate::http::caller::Caller;

/// Who may pass a service's routes. An open gate (the default) lets every request through as
/// [`Caller::anonymous`]; a closed one asks each for a bearer token, and for one of a route's
/// roles.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    authenticator: Option<Authenticator>,
}

impl Gate {
    /// Lets every request through: for a service behind a gateway that authenticates, or one
    /// that runs where only its owner reaches it.
    pub fn open() -> Self {
        Self::default()
    }

    /// Asks every request for a token `authenticator` takes.
    pub fn new(authenticator: Authenticator) -> Self {
        Self {
            authenticator: Some(authenticator),
        }
    }

    pub fn is_open(&self) -> bool {
        self.authenticator.is_none()
    }

    /// Whether the callers it admits carry the tenant their token names.
    pub fn reads_tenant(&self) -> bool {
        self.authenticator
            .as_ref()
            .is_some_and(|authenticator| authenticator.tenant_claim().is_some())
    }

    /// The caller of a request with these headers, once its token holds and it has one of
    /// `roles` (any role when `roles` is empty); 401 or 403 otherwise. Anonymous when the
    /// gate is open.
    pub async fn admit(&self, headers: &HeaderMap, roles: &[&str]) -> Result<Caller, ApiError> {
        let Some(authenticator) = &self.authenticator else {
            return Ok(Caller::anonymous());
        };
        let principal = authenticator.authenticate(headers).await?;
        principal.require(roles)?;
        Ok(Caller::authenticated(principal))
    }
}

/// A token an HS256 gate with `secret` takes (and its default `roles` claim reads): for
/// `subject`, holding `roles`, valid for `lifetime`. For tests and local tools; in production
/// tokens come from the identity provider.
pub fn issue_token(secret: &[u8], subject: &str, roles: &[&str], lifetime: Duration) -> String {
    issue_token_with(secret, subject, roles, lifetime, serde_json::Map::new())
}

/// [`issue_token`], with further claims: a tenant's, say (`{"tenant": "north"}`).
pub fn issue_token_with(
    secret: &[u8],
    subject: &str,
    roles: &[&str],
    lifetime: Duration,
    claims: serde_json::Map<String, serde_json::Value>,
) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    // The further claims first: they never overwrite the subject, roles or times.
    let mut token = claims;
    token.insert("sub".to_owned(), subject.into());
    token.insert("roles".to_owned(), roles.into());
    token.insert("iat".to_owned(), now.into());
    token.insert(
        "exp".to_owned(),
        now.saturating_add(lifetime.as_secs()).into(),
    );
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &token,
        &EncodingKey::from_secret(secret),
    )
    .expect("HS256 signs any JSON object with any secret")
}
