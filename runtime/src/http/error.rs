//! The body of every error response, an RFC 9457 problem, and how each runtime error becomes
//! one.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::command::FieldError;
use crate::dispatch::DispatchError;
use crate::query::QueryError;
use crate::rejection::RejectionKind;

/// The body of every error response: an RFC 9457 problem (`application/problem+json`), with
/// the members clients branch on beside the standard ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// `about:blank`: the problem is the status's, told apart by [`code`](Self::code).
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The status's reason phrase, e.g. `Conflict`.
    pub title: String,
    pub status: u16,
    /// What went wrong, for people.
    pub detail: String,
    /// Stable, machine-readable: the domain's rejection codes (`overdrawn`, `book_on_loan`),
    /// `rejected` and `invalid_field` for rejections that name none, and `invalid_json`,
    /// `invalid_field`, `not_found`, `already_exists`, `conflict`, `taken`,
    /// `not_yet_consistent`, `too_large`, `timeout`, `not_ready`, `idempotency_key_reused`,
    /// `unauthenticated`, `invalid_token`, `forbidden`, `auth_unavailable`, `internal`.
    pub code: String,
    /// The offending field, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every failing field, when validation found several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: an error travels through every `Result` of a request, and stays one pointer wide.
    pub body: Box<ErrorBody>,
    /// Sent as `Retry-After`, in seconds, when waiting is what helps.
    pub retry_after: Option<u32>,
    /// Sent as `WWW-Authenticate` with a 401 or 403: how to authenticate, or what failed.
    pub www_authenticate: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                problem_type: "about:blank".to_owned(),
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                status: status.as_u16(),
                detail: message.into(),
                code: code.to_owned(),
                field: None,
                errors: Vec::new(),
            }),
            retry_after: None,
            www_authenticate: None,
        }
    }

    /// 400: `field` has a bad value.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let mut error = Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_field",
            format!("{field}: {}", message.into()),
        );
        error.body.field = Some(field);
        error
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 503 with `Retry-After`: the service cannot answer yet, and will in about `seconds`.
    pub fn retry_later(code: &str, message: impl Into<String>, seconds: u32) -> Self {
        let mut api = Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message);
        api.retry_after = Some(seconds);
        api
    }

    /// 500, logged with its cause; the client sees no internals.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the service log",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(*self.body)).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static(PROBLEM_JSON),
        );
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        if let Some(challenge) = self
            .www_authenticate
            .and_then(|challenge| axum::http::HeaderValue::from_str(&challenge).ok())
        {
            response
                .headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

impl From<DispatchError> for ApiError {
    fn from(error: DispatchError) -> Self {
        match error {
            DispatchError::Invalid(errors) => {
                let mut api = Self::invalid_field(errors.first_field().unwrap_or("body"), "");
                api.body.detail = errors.to_string();
                api.body.errors = errors.0;
                api
            }
            DispatchError::Rejected(rejection) => {
                let status = match rejection.kind() {
                    RejectionKind::Refused => StatusCode::CONFLICT,
                    RejectionKind::Invalid => StatusCode::BAD_REQUEST,
                };
                let mut api = Self::new(status, rejection.code(), rejection.to_string());
                api.body.field = rejection.field().map(str::to_owned);
                api
            }
            error @ DispatchError::NotFound { .. } => Self::not_found(error.to_string()),
            error @ DispatchError::AlreadyExists { .. } => {
                Self::new(StatusCode::CONFLICT, "already_exists", error.to_string())
            }
            error @ DispatchError::Conflict { .. } => {
                Self::new(StatusCode::CONFLICT, "conflict", error.to_string())
            }
            error @ DispatchError::Taken { .. } => {
                let mut api = Self::new(StatusCode::CONFLICT, "taken", error.to_string());
                api.body.field = error.taken_field().map(str::to_owned);
                api
            }
            error @ DispatchError::IdReused { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                error.to_string(),
            ),
            error @ (DispatchError::Undeclared { .. }
            | DispatchError::MissingServices(_)
            | DispatchError::Decode(_)
            | DispatchError::Encode(_)
            | DispatchError::Store(_)) => Self::internal(&error),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::InvalidParameter { field, message } => Self::invalid_field(field, message),
            error @ QueryError::NotYetConsistent { .. } => {
                Self::retry_later("not_yet_consistent", error.to_string(), 1)
            }
            error @ QueryError::Rebuilding { .. } => {
                Self::retry_later("rebuilding", error.to_string(), 5)
            }
            error @ QueryError::Closing => Self::retry_later("shutting_down", error.to_string(), 1),
            error @ (QueryError::Row { .. } | QueryError::Store(_)) => Self::internal(&error),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    use super::ApiError;
    use crate::dispatch::DispatchError;
    use crate::rejection::{DomainRejection, Rejection};

    #[derive(Debug)]
    struct Overdrawn;

    impl std::fmt::Display for Overdrawn {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("9 is more than the 5 available")
        }
    }

    impl DomainRejection for Overdrawn {
        fn code(&self) -> &str {
            "overdrawn"
        }

        fn field(&self) -> Option<&str> {
            Some("amount")
        }
    }

    #[tokio::test]
    async fn a_domain_rejection_is_a_409_problem_with_its_code_and_field() {
        let response = ApiError::from(DispatchError::from(Overdrawn)).into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "about:blank",
                "title": "Conflict",
                "status": 409,
                "detail": "9 is more than the 5 available",
                "code": "overdrawn",
                "field": "amount",
            })
        );
    }

    #[test]
    fn an_invalid_value_the_domain_refuses_is_a_400_naming_the_field() {
        let invalid =
            Rejection::invalid("grams", "no carrier takes 40000 g").with_code("too_heavy");
        let api = ApiError::from(DispatchError::from(invalid));
        assert_eq!(api.status, StatusCode::BAD_REQUEST);
        assert_eq!(api.body.status, 400);
        assert_eq!(api.body.code, "too_heavy");
        assert_eq!(api.body.field.as_deref(), Some("grams"));
    }

    #[test]
    fn a_taken_value_is_a_409_naming_the_field_and_the_value() {
        let taken = DispatchError::Taken {
            scope: "Member.email/north".to_owned(),
            value: "a@b".to_owned(),
            holder_type: "Member".to_owned(),
            holder_id: "m-1".to_owned(),
        };
        let api = ApiError::from(taken);
        assert_eq!(api.status, StatusCode::CONFLICT);
        assert_eq!(api.body.code, "taken");
        assert_eq!(api.body.field.as_deref(), Some("email"));
        assert_eq!(
            api.body.detail,
            "Member.email/north \"a@b\" is taken by Member m-1"
        );
    }

    #[test]
    fn a_projection_being_rebuilt_is_a_503_to_retry() {
        let api = ApiError::from(crate::query::QueryError::Rebuilding {
            projection: "loans",
        });
        assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(api.body.code, "rebuilding");
        assert_eq!(api.retry_after, Some(5));
        assert!(
            api.body
                .detail
                .starts_with("loans changed since its tables were built")
        );
    }
}
