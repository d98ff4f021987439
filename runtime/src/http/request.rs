//! What a request carries, parsed: ids, bodies, parameters and headers, each naming what did
//! not fit.

use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::caller::Caller;
use super::error::ApiError;
use crate::dispatch::RequestKey;
use crate::event::Metadata;
use crate::projection::Projection;
use crate::query::{PageRequest, ReadModels};

/// The request header carrying the correlation id, the id shared by everything one user action
/// causes, across services.
pub const CORRELATION_HEADER: &str = "x-correlation-id";
/// The request header carrying the causation id, the id of the message that caused this one.
pub const CAUSATION_HEADER: &str = "x-causation-id";

/// The request header of a query that should see a command's effect: the command's
/// `consistency_token`. The query waits, up to a bound the service sets, until the projection it
/// reads has caught up, or answers 503 `not_yet_consistent`.
pub const CONSISTENCY_HEADER: &str = "x-consistency-token";

/// The request header of a command a client may send more than once (after a timeout, a lost
/// connection): the same key on the same request gets the first answer and changes nothing
/// more; on another request it is refused, 422 `idempotency_key_reused`.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The longest `Idempotency-Key` taken: a UUID is 36 characters; keys are not documents.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The request's [`IDEMPOTENCY_HEADER`], as `caller`'s key of the command `command` to the
/// aggregate `id` with the JSON `body`; `None` without the header.
pub fn request_key(
    headers: &HeaderMap,
    caller: &Caller,
    command: &str,
    id: &str,
    body: &[u8],
) -> Result<Option<RequestKey>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|key| !key.is_empty() && key.len() <= MAX_IDEMPOTENCY_KEY)
        .ok_or_else(|| {
            ApiError::invalid_field(
                format!("header {IDEMPOTENCY_HEADER}"),
                format!("must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
            )
        })?;
    // The body as JSON written one way, so that a client that sends the same fields with
    // other spacing sends the same request; an empty body is `{}`, as the command reads it.
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        "{}".to_owned()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => value.to_string(),
            Err(_) => String::from_utf8_lossy(body).into_owned(),
        }
    };
    // Each subject has keys of its own: another's same key is another request, and never
    // answered with this one's. Without authentication there is one key space for all.
    let request = format!("{command}\n{id}\n{body}");
    let scope = caller.subject().unwrap_or_default();
    Ok(Some(RequestKey::new(scope, key, request.as_bytes())))
}

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

/// The ids a command's events carry, from the request's headers, and its caller as their
/// actor. A request without a correlation id starts a new correlation: its events get a fresh
/// one.
pub fn metadata_from_headers(headers: &HeaderMap, caller: &Caller) -> Result<Metadata, ApiError> {
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
        // Only an authenticated request says who sent it; a header anyone can write does not.
        actor: caller.subject().map(str::to_owned),
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

/// [`parse_param`], as the JSON value the store compares.
pub fn param_value<T: Serialize + DeserializeOwned>(
    field: &str,
    raw: &str,
) -> Result<Value, ApiError> {
    let value: T = parse_param(field, raw)?;
    serde_json::to_value(value).map_err(|error| ApiError::invalid_field(field, error.to_string()))
}

/// Reads `limit` and `cursor` from a query string, naming the bad one.
pub fn page_from_query(query: Option<&str>) -> Result<PageRequest, ApiError> {
    Ok(list_params(query, None)?.0)
}

/// Reads `limit`, `cursor`, and with `range` (the parser of the order column's values) `from`
/// and `before`, from a query string, naming the bad one. Without `range`, `from` and `before`
/// are refused: the list has no order to take a range of.
pub(super) fn list_params(
    query: Option<&str>,
    range: Option<ParseValue>,
) -> Result<(PageRequest, [Option<Value>; 2]), ApiError> {
    let mut page = PageRequest::default();
    let mut bounds = [None, None];
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|error| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", error.to_string())
        })?;
    for (name, value) in pairs {
        match name.as_str() {
            bound @ ("from" | "before") => {
                let Some(parse) = range else {
                    return Err(ApiError::invalid_field(
                        bound,
                        "this list has no range: it takes `limit` and `cursor`",
                    ));
                };
                bounds[usize::from(bound == "before")] = Some(parse(bound, &value)?);
            }
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
    Ok((page, bounds))
}

/// Parses a parameter's text into the JSON value of its field's type: [`param_value`] at one
/// type.
pub type ParseValue = fn(&str, &str) -> Result<Value, ApiError>;
