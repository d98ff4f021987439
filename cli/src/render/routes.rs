//! The service's routes: `POST /<aggregates>/{id}/<command>`, `GET /<query>/{value}`, and
//! `GET /<query>` for a query of every row.

use super::names::{kebab, plural_kebab};
use crate::model::ir::{Aggregate, Command, Query};

/// Where `command` is sent for the aggregate `id` (the route's pattern with `{id}`).
pub fn command_route(aggregate: &Aggregate, command: &Command, id: &str) -> String {
    format!(
        "/{}/{id}/{}",
        plural_kebab(&aggregate.name),
        kebab(&command.name)
    )
}

/// Where `query` is asked for `value` (the route's pattern with `{field}`), or for every row.
pub fn query_route(query: &Query, segments: &[String]) -> String {
    let mut route = format!("/{}", kebab(&query.name));
    for segment in segments {
        route.push('/');
        route.push_str(segment);
    }
    route
}

/// The pattern of `query`'s route: a `{field}` segment for each field its path gives, then
/// the segments `more` (as `watch`).
pub fn query_pattern(query: &Query, more: &[&str]) -> String {
    let segments: Vec<String> = query
        .kind
        .path_fields()
        .iter()
        .map(|field| format!("{{{}}}", field.name))
        .chain(more.iter().map(|segment| (*segment).to_owned()))
        .collect();
    query_route(query, &segments)
}

/// A JSON example as it appears in a URL path: strings bare, numbers as written.
pub fn path_text(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}
