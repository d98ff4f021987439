//! What every process serves besides its routes: health, readiness, and the limits every request
//! is held to.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::ApiError;

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
