//! The body of every error response, and how each runtime error becomes one.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::command::{FieldError, Rejection};
use crate::dispatch::DispatchError;
use crate::query::QueryError;

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable, machine-readable: `invalid_json`, `invalid_field`, `not_found`, `already_exists`,
    /// `rejected`, `conflict`, `taken`, `not_yet_consistent`, `too_large`, `timeout`, `not_ready`,
    /// `internal`.
    pub code: String,
    pub message: String,
    /// The offending field, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every failing field, when validation found several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// Sent as `Retry-After`, in seconds, when waiting is what helps.
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                code: code.to_owned(),
                message: message.into(),
                field: None,
                errors: Vec::new(),
            },
            retry_after: None,
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
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<DispatchError> for ApiError {
    fn from(error: DispatchError) -> Self {
        match error {
            DispatchError::Invalid(errors) => {
                let mut api = Self::invalid_field(errors.first_field().unwrap_or("body"), "");
                api.body.message = errors.to_string();
                api.body.errors = errors.0;
                api
            }
            DispatchError::Rejected(Rejection::Invalid { field, message }) => {
                Self::invalid_field(field, message)
            }
            DispatchError::Rejected(rejection @ Rejection::Guard(_)) => {
                Self::new(StatusCode::CONFLICT, "rejected", rejection.to_string())
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
            error @ (DispatchError::Undeclared { .. }
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
                let mut api = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not_yet_consistent",
                    error.to_string(),
                );
                api.retry_after = Some(1);
                api
            }
            error @ (QueryError::Row { .. } | QueryError::Store(_)) => Self::internal(&error),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::ApiError;
    use crate::dispatch::DispatchError;

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
            api.body.message,
            "Member.email/north \"a@b\" is taken by Member m-1"
        );
    }
}
