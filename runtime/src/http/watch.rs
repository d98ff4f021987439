//! Live queries over HTTP: Server-Sent Events, one message per change, each with the token to
//! resume after it as its id, which an `EventSource` sends back by itself as `Last-Event-ID`
//! when it reconnects.
//!
//! The first message, `snapshot`, holds every row the query finds (unless the watch resumes);
//! each later one, `changes`, the rows an event changed and the keys of rows the query no
//! longer finds. A failure ends the stream with an `error` message holding the problem; the
//! client reconnects from its last id. [`until_expiry`] ends it when the caller's token does.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::caller::Caller;
use super::error::ApiError;
use super::request::param_value;
use super::routes::ListShape;
use crate::projection::Projection;
use crate::query::{QueryError, ReadModels, Watch, Watched};

/// The header a reconnecting `EventSource` sends its last message's id in.
pub const LAST_EVENT_ID: &str = "last-event-id";

/// A watch route's query string: `?token=` resumes, as `Last-Event-ID` does.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchQuery {
    token: Option<String>,
}

/// The whole of a route watching one row: the one under the path's key.
pub async fn watch_row<P, V>(
    read_models: &ReadModels,
    caller: &Caller,
    field: &str,
    raw_key: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError>
where
    P: Projection,
    V: serde::Serialize + DeserializeOwned,
{
    let key = param_value::<V>(field, raw_key)?;
    watch_rows::<P>(read_models, caller, Watched::Key(key), query, headers).await
}

/// The whole of a route watching the rows whose `field` equals the path's value.
pub async fn watch_list<P, V>(
    read_models: &ReadModels,
    caller: &Caller,
    field: &str,
    raw_value: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError>
where
    P: Projection,
    V: serde::Serialize + DeserializeOwned,
{
    let value = param_value::<V>(field, raw_value)?;
    let index = P::SCHEMA
        .indexes
        .iter()
        .find(|index| index.is_by(field))
        .ok_or_else(|| {
            ApiError::from(QueryError::InvalidParameter {
                field: "field",
                message: format!("{} has no index by `{field}`", P::NAME),
            })
        })?;
    let watched = Watched::Found {
        index,
        equal: vec![value],
    };
    watch_rows::<P>(read_models, caller, watched, query, headers).await
}

/// The whole of a route watching the rows a list's index finds holding the path's values
/// (parsed with [`param_value`]); the list's order and range do not apply.
pub async fn watch_found<P: Projection>(
    read_models: &ReadModels,
    caller: &Caller,
    shape: &'static ListShape<'static>,
    equal: Vec<serde_json::Value>,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let watched = Watched::Found {
        index: &shape.index,
        equal,
    };
    watch_rows::<P>(read_models, caller, watched, query, headers).await
}

/// The whole of a route watching every row.
pub async fn watch_all<P: Projection>(
    read_models: &ReadModels,
    caller: &Caller,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    watch_rows::<P>(read_models, caller, Watched::All, query, headers).await
}

/// The rows `watched` names, then each change, as Server-Sent Events; resumed after the token
/// in `Last-Event-ID` or `?token=`; ended when `caller`'s token expires.
pub async fn watch_rows<P: Projection>(
    read_models: &ReadModels,
    caller: &Caller,
    watched: Watched,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let asked: WatchQuery = serde_urlencoded::from_str(query.unwrap_or("")).map_err(|error| {
        // Name the parameter at fault: an unknown one by its own name.
        let message = error.to_string();
        let field = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split_once('`'))
            .map_or("token", |(name, _)| name)
            .to_owned();
        ApiError::invalid_field(field, message)
    })?;
    let header = headers
        .get(LAST_EVENT_ID)
        .map(|value| {
            value.to_str().map(str::to_owned).map_err(|_| {
                ApiError::invalid_field(LAST_EVENT_ID, "not a token a watch of this service sent")
            })
        })
        .transpose()?;
    let token = asked.token.or(header).filter(|token| !token.is_empty());
    let watch = read_models.watch::<P>(watched, token.as_deref()).await?;
    let first = if token.is_none() {
        "snapshot"
    } else {
        "changes"
    };
    let stream = futures_util::stream::unfold(Some((watch, first)), next_message);
    let response = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    Ok(until_expiry(caller, response))
}

/// The next message of a watch, and what follows it; nothing after an `error`.
async fn next_message<P: Projection>(
    state: Option<(Watch<P>, &'static str)>,
) -> Option<(Result<Event, Infallible>, Option<(Watch<P>, &'static str)>)> {
    let (mut watch, name) = state?;
    let message = match watch.next().await {
        Ok(changes) => Event::default()
            .event(name)
            .id(changes.token.clone())
            .json_data(&changes)
            .map_err(|error| ApiError::internal(&error)),
        Err(error) => Err(ApiError::from(error)),
    };
    Some(match message {
        Ok(event) => (Ok(event), Some((watch, "changes"))),
        Err(error) => {
            let event = Event::default()
                .event("error")
                .json_data(&error.body)
                .unwrap_or_else(|_| Event::default().event("error"));
            (Ok(event), None)
        }
    })
}

/// `response` (a watch's event stream), ended when `caller`'s token expires, with a last
/// `error` event (`token_expired`): a watch is admitted once, and must not outlive the token
/// that admitted it. Its client opens it again with a fresh token, resuming after the last
/// event's id. An anonymous caller's watch is left as it is.
pub fn until_expiry(caller: &Caller, response: Response) -> Response {
    let Some(expires_at) = caller.expires_at() else {
        return response;
    };
    // The gate takes a token a little after its expiry (clocks disagree): such a watch would
    // end as it starts, and its client reconnect at once, again and again.
    let Ok(left) = expires_at.duration_since(std::time::SystemTime::now()) else {
        return expired_error().into_response();
    };
    let (parts, body) = response.into_parts();
    let deadline = Box::pin(tokio::time::sleep(left));
    let stream = futures_util::stream::unfold(
        Some((body.into_data_stream(), deadline)),
        |state| async move {
            let (mut body, mut deadline) = state?;
            tokio::select! {
                chunk = body.next() => chunk.map(|chunk| (chunk, Some((body, deadline)))),
                () = &mut deadline => Some((Ok(expired()), None)),
            }
        },
    );
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Why a watch ends, or does not start: its token expired.
fn expired_error() -> ApiError {
    let mut error = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "token_expired",
        "the token this watch was opened with has expired: open it again with a fresh one, \
         resuming after the last event's id",
    );
    error.www_authenticate = Some("Bearer error=\"invalid_token\"".to_owned());
    error
}

/// The last event of a watch whose token expired.
fn expired() -> Bytes {
    let data = serde_json::to_string(&expired_error().body).unwrap_or_default();
    Bytes::from(format!("event: error\ndata: {data}\n\n"))
}
