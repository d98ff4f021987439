//! Who sent a request: the principal an authenticated request's token names, or nobody when
//! the service checks no tokens.

use axum::http::StatusCode;

use super::error::ApiError;

/// Who sent a request, as its token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`: recorded as the actor of the events the request's command records.
    pub subject: String,
    pub roles: Vec<String>,
    /// The tenant the token names, when the service reads one (`AuthConfig::tenant_claim`).
    pub tenant: Option<String>,
    /// When the token expires (its `exp`): a watch opened with it ends then.
    pub expires_at: Option<std::time::SystemTime>,
}

impl Principal {
    /// Ok when the caller holds one of `roles` (or `roles` is empty); otherwise 403.
    pub fn require(&self, roles: &[&str]) -> Result<(), ApiError> {
        if roles.is_empty()
            || roles
                .iter()
                .any(|role| self.roles.iter().any(|held| held == role))
        {
            return Ok(());
        }
        let mut error = ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this needs one of the roles {}", roles.join(", ")),
        );
        error.www_authenticate = Some("Bearer error=\"insufficient_scope\"".to_owned());
        Err(error)
    }
}

/// The sender of a request a route admitted: a [`Principal`] when the service checks tokens,
/// nobody when it does not. A command's events record its subject as their actor, and its
/// `Idempotency-Key` is the subject's own, so one caller can neither replay nor read another's
/// answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller(Option<Principal>);

impl Caller {
    /// A request no token vouched for: the service checks none.
    pub fn anonymous() -> Self {
        Self(None)
    }

    pub fn authenticated(principal: Principal) -> Self {
        Self(Some(principal))
    }

    pub fn principal(&self) -> Option<&Principal> {
        self.0.as_ref()
    }

    /// When the caller's token expires: never for an anonymous caller.
    pub fn expires_at(&self) -> Option<std::time::SystemTime> {
        self.0.as_ref().and_then(|principal| principal.expires_at)
    }

    /// The principal's subject, the actor its commands' events record.
    pub fn subject(&self) -> Option<&str> {
        self.0.as_ref().map(|principal| principal.subject.as_str())
    }
}
