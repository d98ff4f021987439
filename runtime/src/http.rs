//! axum glue for generated and hand-written services: JSON bodies that name the bad field, and
//! one error shape for every failure.
//!
//! Every error response is `{"code": ..., "message": ..., "field"?: ..., "errors"?: [...]}`.
//! Client mistakes are 4xx and name what was wrong; only server faults are 500, and those are
//! logged, not shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::command::{FieldError, Rejection};
use crate::dispatch::{Committed, DispatchError};
use crate::query::{PageRequest, QueryError};

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable, machine-readable: `invalid_json`, `invalid_field`, `not_found`, `already_exists`,
    /// `rejected`, `conflict`, `internal`.
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
        (self.status, Json(self.body)).into_response()
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
            error @ (DispatchError::Decode(_)
            | DispatchError::Encode(_)
            | DispatchError::Store(_)) => Self::internal(&error),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::InvalidParameter { field, message } => Self::invalid_field(field, message),
            error @ (QueryError::Row { .. } | QueryError::Store(_)) => Self::internal(&error),
        }
    }
}

/// The response to an accepted command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub id: String,
    /// The aggregate's version after the command.
    pub version: u64,
    /// The global position of the command's last event, if it recorded any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
}

impl From<Committed> for Accepted {
    fn from(committed: Committed) -> Self {
        Self {
            id: committed.aggregate_id,
            version: committed.version,
            position: committed.position,
        }
    }
}

/// Parses a command from a JSON body, with the aggregate id taken from the path.
///
/// An empty body counts as `{}`. The id from the path wins; a body that names a different id is
/// refused. Errors name the field: a missing field, a value of the wrong type, an unknown field.
pub fn command_from_json<C: DeserializeOwned>(
    body: &[u8],
    id_field: &str,
    id: Value,
) -> Result<C, ApiError> {
    let mut value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not valid JSON: {error}"),
            )
        })?
    };
    let Value::Object(fields) = &mut value else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the body must be a JSON object",
        ));
    };
    if let Some(given) = fields.get(id_field)
        && *given != id
    {
        return Err(ApiError::invalid_field(
            id_field,
            "differs from the id in the path",
        ));
    }
    fields.insert(id_field.to_owned(), id);
    from_value(value)
}

/// Deserializes `value`, naming the field that did not fit.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        let field = if path == "." {
            missing_field(&inner).unwrap_or("body").to_owned()
        } else {
            path
        };
        ApiError::invalid_field(field, inner)
    })
}

/// serde reports a missing field on the struct, not the field; its message names it.
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// Parses a path or query parameter into its field's type, naming the field when it does not fit.
///
/// The text is tried as a JSON string first (ids, enums, dates, decimals), then as a JSON literal
/// (numbers, booleans).
pub fn parse_param<T: DeserializeOwned>(field: &str, raw: &str) -> Result<T, ApiError> {
    serde_json::from_value(Value::String(raw.to_owned()))
        .or_else(|first| match serde_json::from_str::<Value>(raw) {
            Ok(literal @ (Value::Number(_) | Value::Bool(_))) => serde_json::from_value(literal),
            _ => Err(first),
        })
        .map_err(|error| ApiError::invalid_field(field, error.to_string()))
}

/// Reads `limit` and `cursor` from a query string, naming the bad one.
pub fn page_from_query(query: Option<&str>) -> Result<PageRequest, ApiError> {
    let mut page = PageRequest::default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|error| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", error.to_string())
        })?;
    for (name, value) in pairs {
        match name.as_str() {
            "limit" => {
                page.limit = Some(
                    value
                        .parse()
                        .map_err(|_| ApiError::invalid_field("limit", "must be a whole number"))?,
                )
            }
            "cursor" => page.cursor = Some(value),
            _ => {}
        }
    }
    Ok(page)
}
