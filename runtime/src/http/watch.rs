//! Live queries over HTTP: Server-Sent Events, one message per change, each with the token to
//! resume after it as its id, which an `EventSource` sends back by itself as `Last-Event-ID`
//! when it reconnects.
//!
//! The first message, `snapshot`, holds every row the query finds (unless the watch resumes);
//! each later one, `changes`, the rows an event changed and the keys of rows the query no
//! longer finds. A failure ends the stream with an `error` message holding the problem; the
//! client reconnects from its last id.

use std::convert::Infallible;

use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;

use super::error::ApiError;
use crate::projection::Projection;
use crate::query::{ReadModels, Watch, Watched};

/// The header a reconnecting `EventSource` sends its last message's id in.
pub const LAST_EVENT_ID: &str = "last-event-id";

/// A watch route's query string: `?token=` resumes, as `Last-Event-ID` does.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchQuery {
    token: Option<String>,
}

/// The whole of a watch route: the rows `watched` names, then each change, as Server-Sent
/// Events; resumed after the token in `Last-Event-ID` or `?token=`.
pub async fn watch_rows<P: Projection>(
    read_models: &ReadModels,
    watched: Watched,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<P>>, ApiError> {
    let asked: WatchQuery = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|error| ApiError::invalid_field("token", error.to_string()))?;
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
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
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
