//! axum glue for generated and hand-written services: JSON bodies that name the bad field, and
//! one error shape for every failure.
//!
//! Every error response is `{"code": ..., "message": ..., "field"?: ..., "errors"?: [...]}`.
//! Client mistakes are 4xx and name what was wrong; only server faults are 500, and those are
//! logged, not shown.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aggregate::Aggregate;
use crate::command::{Command, FieldError, Handle, Rejection};
use crate::dispatch::{Committed, DispatchError, Dispatcher};
use crate::event::Metadata;
use crate::projection::Projection;
use crate::query::{Page, PageRequest, QueryError, ReadModels};

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable, machine-readable: `invalid_json`, `invalid_field`, `not_found`, `already_exists`,
    /// `rejected`, `conflict`, `not_yet_consistent`, `too_large`, `timeout`, `not_ready`,
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

/// The response to an accepted command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub id: String,
    /// The aggregate's version after the command.
    pub version: u64,
    /// The global position of the command's last event, if it recorded any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// Pass this in the [`CONSISTENCY_HEADER`] of a query to read this command's effect; absent
    /// when the aggregate has no event yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency_token: Option<String>,
    /// The correlation id the command's events carry: the request's `x-correlation-id`, or a
    /// new one when it had none.
    pub correlation_id: String,
}

impl Accepted {
    fn new(committed: Committed, metadata: Metadata) -> Self {
        Self {
            consistency_token: committed.consistency_token().map(|token| token.encode()),
            id: committed.aggregate_id,
            version: committed.version,
            position: committed.position,
            correlation_id: metadata.correlation_id.unwrap_or_default(),
        }
    }
}

/// The request header carrying the correlation id, the id shared by everything one user action
/// causes, across services.
pub const CORRELATION_HEADER: &str = "x-correlation-id";
/// The request header carrying the causation id, the id of the message that caused this one.
pub const CAUSATION_HEADER: &str = "x-causation-id";

/// The request header of a query that should see a command's effect: the command's
/// `consistency_token`. The query waits, up to a bound the service sets, until the projection it
/// reads has caught up, or answers 503 `not_yet_consistent`.
pub const CONSISTENCY_HEADER: &str = "x-consistency-token";

/// Waits for the consistency token in `headers`, if there is one, before a read of `P`.
pub async fn wait_for_token<P: Projection>(
    read_models: &ReadModels,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    const FIELD: &str = "header x-consistency-token";
    let Some(value) = headers.get(CONSISTENCY_HEADER) else {
        return Ok(());
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::invalid_field(FIELD, "must be the token a command returned"))?;
    Ok(read_models.wait_for::<P>(FIELD, text).await?)
}

/// The ids a command's events carry, from the request's headers. A request without a
/// correlation id starts a new correlation: its events get a fresh one.
pub fn metadata_from_headers(headers: &HeaderMap) -> Result<Metadata, ApiError> {
    let header = |name: &str| -> Result<Option<String>, ApiError> {
        let Some(value) = headers.get(name) else {
            return Ok(None);
        };
        let text = value
            .to_str()
            .ok()
            .filter(|text| !text.is_empty() && text.len() <= 200)
            .ok_or_else(|| {
                ApiError::invalid_field(
                    format!("header {name}"),
                    "must be 1 to 200 visible ASCII characters",
                )
            })?;
        Ok(Some(text.to_owned()))
    };
    Ok(Metadata {
        correlation_id: Some(
            header(CORRELATION_HEADER)?.unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        ),
        causation_id: header(CAUSATION_HEADER)?,
        // Recorded by the dispatcher, from the span the command runs in.
        traceparent: None,
    })
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

/// The whole of a command route: the aggregate id from the path (its field named `id_field`),
/// the command from the JSON body, correlation and causation ids from the headers, then
/// dispatch.
pub async fn run_command<C>(
    dispatcher: &Dispatcher,
    id_field: &str,
    raw_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Json<Accepted>, ApiError>
where
    C: Command + DeserializeOwned,
    C::Aggregate: Handle<C>,
    <C::Aggregate as Aggregate>::Id: Serialize + DeserializeOwned,
{
    let id: <C::Aggregate as Aggregate>::Id = parse_param(id_field, raw_id)?;
    let id = serde_json::to_value(id).map_err(|error| ApiError::internal(&error))?;
    let command: C = command_from_json(body, id_field, id)?;
    let metadata = metadata_from_headers(headers)?;
    let span = tracing::info_span!(
        "command",
        command = C::NAME,
        correlation_id = metadata.correlation_id.as_deref(),
        causation_id = metadata.causation_id.as_deref(),
    );
    let committed =
        tracing::Instrument::instrument(dispatcher.dispatch(command, metadata.clone()), span)
            .await?;
    Ok(Json(Accepted::new(committed, metadata)))
}

/// The whole of a get-by-key route: 404 when there is no such row. With a consistency token
/// in the headers, it first waits for the projection to catch up.
pub async fn get_row<P, K>(
    read_models: &ReadModels,
    field: &str,
    raw_key: &str,
    headers: &HeaderMap,
) -> Result<Json<P>, ApiError>
where
    P: Projection,
    K: Serialize + DeserializeOwned,
{
    let key: K = parse_param(field, raw_key)?;
    wait_for_token::<P>(read_models, headers).await?;
    match read_models.get::<P>(&key).await? {
        Some(row) => Ok(Json(row)),
        None => Err(ApiError::not_found(format!(
            "no {} with {field} {raw_key}",
            P::NAME
        ))),
    }
}

/// The whole of a list route: rows whose `field` equals the path value, one page at a time.
/// With a consistency token in the headers, it first waits for the projection to catch up.
pub async fn list_rows<P, V>(
    read_models: &ReadModels,
    field: &str,
    raw_value: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Json<Page<P>>, ApiError>
where
    P: Projection,
    V: Serialize + DeserializeOwned,
{
    let value: V = parse_param(field, raw_value)?;
    let page = page_from_query(query)?;
    wait_for_token::<P>(read_models, headers).await?;
    Ok(Json(read_models.list::<P>(field, &value, &page).await?))
}

/// `GET /health`: the process is up. Nothing else is checked, so an orchestrator restarts the
/// process only when it is truly stuck.
pub async fn health() -> Json<Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET /ready`: 200 when everything the process needs answers, else 503 naming what does not.
pub fn readiness(checked: Result<(), String>) -> Response {
    match checked {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(reason) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", reason).into_response()
        }
    }
}

/// Limits every request: a body declared larger than `limit.max_body_bytes` is refused with
/// 413 before it is read, and a request that takes longer than `limit.timeout` is answered 503
/// (the work it started, a command say, still completes or fails on its own). Both answers have
/// the usual error shape. Use with `axum::middleware::from_fn_with_state`, together with
/// `axum::extract::DefaultBodyLimit` for bodies that do not declare their length.
pub async fn limits(
    axum::extract::State(limit): axum::extract::State<Limits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit.max_body_bytes) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body may be at most {} bytes", limit.max_body_bytes),
        )
        .into_response();
    }
    match tokio::time::timeout(limit.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("no answer within {:?}; try again", limit.timeout),
        )
        .into_response(),
    }
}

/// What [`limits`] allows a request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub timeout: std::time::Duration,
}
