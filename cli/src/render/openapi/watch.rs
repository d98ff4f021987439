//! The OpenAPI of a query's watch: its rows, then each change to them, as Server-Sent Events.

use serde_json::{Value, json};

use super::{errors, path_parameters};
use crate::model::ir::{Query, QueryKind};
use crate::render::routes::query_pattern;

/// The path watching what `query` finds; none for a count.
pub(super) fn watch_path(query: &Query) -> Option<(String, Value)> {
    if matches!(query.kind, QueryKind::Count { .. }) {
        return None;
    }
    let path_fields = query.kind.path_fields();
    let mut parameters = path_parameters(&path_fields);
    let token = json!({ "type": "string", "minLength": 1, "pattern": "^[0-9a-f]+$" });
    parameters.push(json!({
        "name": "token",
        "in": "query",
        "required": false,
        "description": "The id of the last message received: the watch resumes after it, sending no snapshot.",
        "schema": token,
    }));
    parameters.push(json!({
        "name": "Last-Event-ID",
        "in": "header",
        "required": false,
        "description": "As `token`; what an `EventSource` sends by itself when it reconnects.",
        "schema": token,
    }));
    let mut responses = errors(&["400", "503"]);
    responses.insert(
        "200".to_owned(),
        json!({
            "description": format!(
                "Server-Sent Events, each with the token to resume after it as its `id`: first \
                 `snapshot`, every `{}` row the query finds (unless resumed), then `changes` per \
                 event that changes them: `{{\"token\", \"rows\": [...], \"gone\": [<key>...]}}`, \
                 the rows as they are now and the keys of the rows the query no longer finds. \
                 `error` ends the stream with a problem; reconnect from the last id.",
                query.projection.name
            ),
            "content": { "text/event-stream": { "schema": { "type": "string" } } },
        }),
    );
    Some((
        query_pattern(query, &["watch"]),
        json!({
            "get": {
                "operationId": format!("{}_watch", query.name),
                "tags": [query.projection.name],
                "parameters": parameters,
                "responses": responses,
            }
        }),
    ))
}
