//! The OpenAPI of queries: a get or a list with its paging, a summary's groups, and how each
//! list orders its page.

use serde_json::{Map, Value, json};

use super::watch::watch_path;
use super::{errors, path_parameters, reference, schema};
use crate::model::ir::{Field, Model, Query, QueryKind, ReadStore, Rules};
use crate::render::routes::{query_pattern, query_route};

/// The paths of one query: its get or list, or its groups, and its watch.
pub(super) fn query_paths(model: &Model, query: &Query) -> Map<String, Value> {
    if let QueryKind::Count { by, sums } = &query.kind {
        return count_paths(query, by, sums).into_iter().collect();
    }
    let mut paths = Map::new();
    let projection = &query.projection;
    let path_fields = query.kind.path_fields();
    let list = query.kind.is_list();
    let mut parameters = path_parameters(&path_fields);
    parameters.push(json!({
                "name": "x-consistency-token",
                "in": "header",
                "required": false,
                "description": "The `consistency_token` of a command: the query waits until its read model has caught up with that command, or answers 503 `not_yet_consistent`.",
                "schema": { "type": "string", "minLength": 1, "pattern": "^[0-9a-f]+$" },
        }));
    let (ok, mut responses) = if list {
        parameters.push(json!({
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Rows per page.",
            "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 },
        }));
        parameters.push(json!({
                "name": "cursor",
                "in": "query",
                "required": false,
                "description": "The `next_cursor` of the previous page, passed back unchanged with the same parameters.",
                "schema": { "type": "string", "pattern": "^[0-9a-f]+$" },
            }));
        if let QueryKind::Find {
            order: Some(order),
            range: true,
            ..
        } = &query.kind
        {
            for (name, what) in [
                ("from", "Rows whose `{}` is at least this."),
                ("before", "Rows whose `{}` is less than this."),
            ] {
                parameters.push(json!({
                    "name": name,
                    "in": "query",
                    "required": false,
                    "description": what.replace("{}", &order.field.name),
                    "schema": schema(&order.field.ty, &Rules::default()),
                }));
            }
        }
        let page = json!({
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": { "type": "array", "items": reference(&projection.name) },
                "next_cursor": { "type": "string", "nullable": true },
            },
            "additionalProperties": false,
        });
        (page, errors(&["400", "503"]))
    } else {
        (reference(&projection.name), errors(&["400", "404", "503"]))
    };
    responses.insert(
        "200".to_owned(),
        json!({
            "description": page_description(query, model.stores.read),
            "content": { "application/json": { "schema": ok } },
        }),
    );
    paths.insert(
        query_pattern(query, &[]),
        json!({
            "get": {
                "operationId": query.name,
                "tags": [projection.name],
                "parameters": parameters,
                "responses": responses,
            }
        }),
    );
    paths.extend(watch_path(query));
    paths
}

/// A count query's two paths: every group a page at a time, and the group of one value.
pub(super) fn count_paths(query: &Query, by: &Field, sums: &[Field]) -> Vec<(String, Value)> {
    let mut properties = Map::new();
    properties.insert(by.name.clone(), schema(&by.ty, &Rules::default()));
    properties.insert(
        "count".to_owned(),
        json!({ "type": "integer", "minimum": 0, "description": "How many rows hold this value." }),
    );
    for sum in sums {
        let mut summed = schema(&sum.ty, &Rules::default());
        summed["description"] = json!(format!("The sum of `{}` over the group's rows.", sum.name));
        properties.insert(sum.name.clone(), summed);
    }
    let mut required = vec![by.name.clone(), "count".to_owned()];
    required.extend(sums.iter().map(|sum| sum.name.clone()));
    let group = json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false,
    });
    let token = json!({
        "name": "x-consistency-token",
        "in": "header",
        "required": false,
        "description": "The `consistency_token` of a command: the query waits until its read model has caught up with that command, or answers 503 `not_yet_consistent`.",
        "schema": { "type": "string", "minLength": 1, "pattern": "^[0-9a-f]+$" },
    });
    let page = json!({
        "type": "object",
        "required": ["items"],
        "properties": {
            "items": { "type": "array", "items": group },
            "next_cursor": { "type": "string", "nullable": true },
        },
        "additionalProperties": false,
    });
    let mut list_responses = errors(&["400", "503"]);
    list_responses.insert(
        "200".to_owned(),
        json!({
            "description": format!("One page of groups: the rows counted per `{}`.", by.name),
            "content": { "application/json": { "schema": page } },
        }),
    );
    let mut one_responses = errors(&["400", "503"]);
    one_responses.insert(
        "200".to_owned(),
        json!({
            "description": "The group: all zero when no row holds the value.",
            "content": { "application/json": { "schema": group } },
        }),
    );
    let tag = &query.projection.name;
    vec![
        (
            query_route(query, &[]),
            json!({ "get": {
                "operationId": query.name,
                "tags": [tag],
                "parameters": [
                    token.clone(),
                    {
                        "name": "limit", "in": "query", "required": false,
                        "description": "Groups per page.",
                        "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 50 },
                    },
                    {
                        "name": "cursor", "in": "query", "required": false,
                        "description": "The `next_cursor` of the previous page, passed back unchanged.",
                        "schema": { "type": "string", "pattern": "^[0-9a-f]+$" },
                    },
                ],
                "responses": list_responses,
            }}),
        ),
        (
            query_route(query, &[format!("{{{}}}", by.name)]),
            json!({ "get": {
                "operationId": format!("{}_group", query.name),
                "tags": [tag],
                "parameters": [
                    {
                        "name": by.name, "in": "path", "required": true,
                        "schema": schema(&by.ty, &Rules::default()),
                    },
                    token,
                ],
                "responses": one_responses,
            }}),
        ),
    ]
}

/// What the 200 answer of a query holds, and in which order.
pub(super) fn page_description(query: &Query, read: ReadStore) -> String {
    match &query.kind {
        QueryKind::ListAll if read == ReadStore::Cassandra => {
            "One page of every row, in the order of the key's token.".to_owned()
        }
        QueryKind::ListAll | QueryKind::List { .. } => "One page of rows, in key order.".to_owned(),
        QueryKind::Find {
            order: Some(order), ..
        } => format!(
            "One page of rows, by `{}` {}, then by key.",
            order.field.name,
            if order.descending {
                "descending"
            } else {
                "ascending"
            }
        ),
        QueryKind::Find { order: None, .. } => "One page of rows, in key order.".to_owned(),
        QueryKind::Count { .. } => "One page of groups.".to_owned(),
        QueryKind::Get { .. } => "The row.".to_owned(),
    }
}
