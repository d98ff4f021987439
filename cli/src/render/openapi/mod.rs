//! `openapi.json`: the service's HTTP API as an OpenAPI 3.0 document, served at
//! `GET /openapi.json` and written beside the project for clients and their tools.
//!
//! Every schema is what serde reads and writes for the generated types, with the model's
//! validation rules as constraints, and every error response has the one error shape.

mod queries;
mod watch;

use serde_json::{Map, Value, json};

use super::names::snake;
use super::routes::command_route;
use crate::model::ir::{Command, Field, Model, Projection, Rules, Type};
use queries::query_paths;

/// The document, as the file's text.
pub fn document(model: &Model) -> String {
    let mut paths = Map::new();
    for aggregate in &model.aggregates {
        let id = json!({
            "name": "id",
            "in": "path",
            "required": true,
            "description": format!("The {}'s `{}`.", aggregate.name, aggregate.id.name),
            "schema": schema(&aggregate.id.ty, &Rules::default()),
        });
        for command in &aggregate.commands {
            let path = command_route(aggregate, command, "{id}");
            let mut responses = errors(&["400", "404", "409", "413", "422", "503"]);
            responses.insert("409".to_owned(), error_response(&refusals(command)));
            responses.insert(
                "200".to_owned(),
                json!({
                    "description": "The command was accepted and its events recorded.",
                    "content": { "application/json": { "schema": reference("Accepted") } },
                }),
            );
            let mut operation = json!({
                "post": {
                    "operationId": snake(&command.name),
                    "tags": [aggregate.name],
                    "summary": format!("{} {}", command.name, aggregate.name),
                    "parameters": [
                        id,
                        header("x-correlation-id"),
                        header("x-causation-id"),
                        idempotency_key(),
                    ],
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": object(&command.fields, true) } },
                    },
                    "responses": responses,
                }
            });
            guarded(&mut operation, &command.roles, model.tenancy.is_some());
            paths.insert(path, operation);
        }
    }
    for query in &model.queries {
        let mut routes = query_paths(model, query);
        for operation in routes.values_mut() {
            guarded(operation, &query.roles, model.tenancy.is_some());
        }
        paths.extend(routes);
    }
    paths.insert(
        "/health".to_owned(),
        operation("health", "The process is up.", &[]),
    );
    paths.insert(
        "/ready".to_owned(),
        operation(
            "ready",
            "The stores and broker answer.",
            &[(
                "503",
                error_response("Something the service needs does not answer."),
            )],
        ),
    );
    paths.insert(
        "/metrics".to_owned(),
        json!({
            "get": {
                "operationId": "metrics",
                "tags": ["operations"],
                "responses": {
                    "200": {
                        "description": "Prometheus text exposition: commands, conflicts, projection events and lag.",
                        "content": { "text/plain": { "schema": { "type": "string" } } },
                    },
                    "404": error_response("This process records no metrics."),
                },
            }
        }),
    );
    paths.insert(
        "/openapi.json".to_owned(),
        json!({
            "get": {
                "operationId": "openapi",
                "tags": ["operations"],
                "responses": { "200": {
                    "description": "This document.",
                    "content": { "application/json": { "schema": { "type": "object" } } },
                } },
            }
        }),
    );

    let mut schemas = Map::new();
    schemas.insert("Error".to_owned(), error_schema(model.tenancy.is_some()));
    schemas.insert(
        "Accepted".to_owned(),
        json!({
            "type": "object",
            "required": ["id", "version", "correlation_id"],
            "properties": {
                "id": { "type": "string", "description": "The aggregate's id." },
                "version": { "type": "integer", "minimum": 0, "description": "The aggregate's version after the command." },
                "position": { "type": "integer", "minimum": 1, "description": "The global position of the command's last event." },
                "correlation_id": { "type": "string", "description": "The correlation id the events carry." },
                "consistency_token": { "type": "string", "description": "Pass it as `x-consistency-token` to a query to read this command's effect." },
            },
            "additionalProperties": false,
        }),
    );
    for projection in &model.projections {
        schemas.insert(projection.name.clone(), row(projection));
    }
    for value in &model.values {
        schemas.insert(value.name.clone(), object(&value.fields, true));
    }
    for enumeration in &model.enums {
        schemas.insert(
            enumeration.name.clone(),
            json!({ "type": "string", "enum": enumeration.variants }),
        );
    }
    let mut info = json!({ "title": model.service, "version": "0.1.0" });
    if let Some(description) = &model.description {
        info["description"] = json!(description);
    }
    let document = json!({
        "openapi": "3.0.3",
        "info": info,
        "servers": [{ "url": "http://127.0.0.1:8080" }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A JWT signed with the service's secret (HS256) or by its issuer (JWKS), when the service checks tokens; its `sub` is recorded as the actor of the events a command records.",
                },
            },
        },
    });
    format!("{document:#}\n")
}

/// An operation as a service that checks bearer tokens serves it: a token, holding one of
/// `roles` when there are any, or 401 and 403. Whether the service checks tokens is its
/// deployment's choice, so a request without one is documented too; unless it serves several
/// tenants, when every request needs a token naming its tenant.
fn guarded(path: &mut Value, roles: &[String], tenancy: bool) {
    let Some(operations) = path.as_object_mut() else {
        return;
    };
    for operation in operations.values_mut() {
        operation["security"] = if tenancy {
            json!([{ "bearer": [] }])
        } else {
            json!([{ "bearer": [] }, {}])
        };
        if !roles.is_empty() {
            operation["description"] = json!(format!(
                "When the service checks tokens, the caller's must list one of the roles: {}.",
                roles.join(", ")
            ));
        }
        if let Some(responses) = operation["responses"].as_object_mut() {
            responses.extend(errors(&["401", "403"]));
            if tenancy {
                responses.insert(
                    "403".to_owned(),
                    error_response(
                        "The caller's token lists none of the roles the operation asks for (`forbidden`), names no tenant (`no_tenant`), or a tenant this service does not serve (`unknown_tenant`).",
                    ),
                );
            }
        }
    }
}

/// A query's path parameters, one per field its path gives.
pub(super) fn path_parameters(fields: &[&Field]) -> Vec<Value> {
    fields
        .iter()
        .map(|field| {
            json!({
                "name": field.name,
                "in": "path",
                "required": true,
                "schema": schema(&field.ty, &Rules::default()),
            })
        })
        .collect()
}

pub(super) fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A command's `Idempotency-Key`: what makes sending it again safe.
fn idempotency_key() -> Value {
    json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "A key of the client's (a UUID, say) that makes the request safe to send again: the same key on the same request answers as the first time and records nothing more, across restarts; on another request it is refused with 422 `idempotency_key_reused`.",
        "schema": { "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$" },
    })
}

fn header(name: &str) -> Value {
    json!({
        "name": name,
        "in": "header",
        "required": false,
        "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$" },
    })
}

/// The 409 of a command: each reason its guards refuse for, by code (`rejected` for a guard
/// that names none), then what any command may meet.
fn refusals(command: &Command) -> String {
    let guards = command
        .guards
        .iter()
        .chain(command.depends_on.iter().flat_map(|d| &d.guards))
        .chain(command.facts.iter().flat_map(|f| &f.guards));
    let mut reasons: Vec<String> = guards
        .map(|guard| {
            let code = guard.code.as_deref().unwrap_or("rejected");
            format!("`{code}`: {}", guard.message)
        })
        .collect();
    reasons.dedup();
    let mut text = String::from("Refused; `code` says why.");
    if !reasons.is_empty() {
        text.push_str(&format!(" The state refuses it: {}.", reasons.join("; ")));
    }
    text.push_str(
        " Or `already_exists`, `taken` (a unique value is held by another), or `conflict` \
         (it kept conflicting with concurrent commands).",
    );
    text
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": reference("Error") } },
    })
}

/// The documented error responses, each with the error shape.
fn errors(statuses: &[&str]) -> Map<String, Value> {
    statuses
        .iter()
        .map(|status| {
            let description = match *status {
                "400" => "A field, parameter or header is malformed or out of range; `field` names it.",
                "404" => "No such aggregate or row.",
                "409" => "The command is refused in the aggregate's state, or kept conflicting with concurrent ones.",
                "401" => "The bearer token is missing (`unauthenticated`) or does not hold (`invalid_token`: expired, another issuer or audience, a bad signature).",
                "403" => "The caller's token lists none of the roles the operation asks for (`forbidden`).",
                "413" => "The body is larger than the service takes.",
                "422" => "The `Idempotency-Key` was used before on another request (`idempotency_key_reused`).",
                _ => "The service cannot answer now: a store is down, the request took too long, or the read model has not caught up with the consistency token (`not_yet_consistent`, with `Retry-After`).",
            };
            ((*status).to_owned(), error_response(description))
        })
        .collect()
}

/// An RFC 9457 problem, with the members clients branch on.
fn error_schema(tenancy: bool) -> Value {
    let tenants = if tenancy {
        "`no_tenant`, `unknown_tenant`, "
    } else {
        ""
    };
    json!({
        "type": "object",
        "description": "An RFC 9457 problem (`application/problem+json`).",
        "required": ["type", "title", "status", "detail", "code"],
        "properties": {
            "type": { "type": "string", "description": "`about:blank`: the problem is told apart by `code`." },
            "title": { "type": "string", "description": "The status's reason phrase." },
            "status": { "type": "integer" },
            "detail": { "type": "string", "description": "What went wrong, for people." },
            "code": { "type": "string", "description": format!("Stable and machine-readable: a guard's own code (listed on each command's 409), or `invalid_field`, `not_found`, `already_exists`, `conflict`, `taken`, `rejected`, `idempotency_key_reused`, `not_yet_consistent`, `unauthenticated`, `invalid_token`, `forbidden`, {tenants}`auth_unavailable`, `internal`.") },
            "field": { "type": "string", "description": "The offending field, when there is one." },
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": { "field": { "type": "string" }, "message": { "type": "string" } },
                },
            },
        },
    })
}

/// An operations route answering `{"status"}`, and `more` responses by status.
fn operation(name: &str, description: &str, more: &[(&str, Value)]) -> Value {
    let mut responses = Map::new();
    responses.insert(
        "200".to_owned(),
        json!({
            "description": description,
            "content": { "application/json": { "schema": {
                "type": "object",
                "required": ["status"],
                "properties": { "status": { "type": "string" } },
            } } },
        }),
    );
    for (status, response) in more {
        responses.insert((*status).to_owned(), response.clone());
    }
    json!({ "get": { "operationId": name, "tags": ["operations"], "responses": responses } })
}

/// A projection's row as the service returns it.
fn row(projection: &Projection) -> Value {
    object(&projection.fields, true)
}

/// An object of `fields`: every field present (optional ones may be null), nothing else.
fn object(fields: &[Field], closed: bool) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| (field.name.clone(), schema(&field.ty, &field.rules)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|field| !matches!(field.ty, Type::Optional(_)))
        .map(|field| field.name.as_str())
        .collect();
    let mut object = json!({ "type": "object", "properties": properties });
    if !required.is_empty() {
        object["required"] = json!(required);
    }
    if closed {
        object["additionalProperties"] = json!(false);
    }
    object
}

/// A field's JSON form, as serde writes the generated Rust type, with the model's rules.
fn schema(ty: &Type, rules: &Rules) -> Value {
    let mut schema = match ty {
        Type::Optional(inner) => {
            let mut inner = schema(inner, rules);
            if inner.get("$ref").is_some() {
                // OpenAPI 3.0 ignores siblings of `$ref`.
                inner = json!({ "allOf": [inner] });
            }
            inner["nullable"] = json!(true);
            return inner;
        }
        Type::String => json!({ "type": "string" }),
        Type::Bool => json!({ "type": "boolean" }),
        Type::Int => json!({ "type": "integer", "format": "int64" }),
        Type::Float => json!({ "type": "number", "format": "double" }),
        Type::Decimal => json!({ "type": "string", "pattern": "^-?[0-9]{1,20}(\\.[0-9]{1,8})?$" }),
        Type::Uuid => json!({ "type": "string", "format": "uuid" }),
        Type::Timestamp => json!({ "type": "string", "format": "date-time" }),
        Type::Date => json!({ "type": "string", "format": "date" }),
        Type::Enum(def) => return reference(&def.name),
        Type::Value(def) => return reference(&def.name),
        Type::List(inner) => json!({ "type": "array", "items": schema(inner, &Rules::default()) }),
    };
    let min_length = rules.min_length.or(rules.non_empty.then_some(1));
    let (min_key, max_key) = if matches!(ty, Type::List(_)) {
        ("minItems", "maxItems")
    } else {
        ("minLength", "maxLength")
    };
    if let Some(min) = min_length {
        schema[min_key] = json!(min);
    }
    if let Some(max) = rules.max_length {
        schema[max_key] = json!(max);
    }
    if let Some(pattern) = &rules.pattern {
        schema["pattern"] = json!(pattern);
    }
    if let Some(example) = &rules.example {
        schema["example"] = json!(example);
    }
    if matches!(ty, Type::Int | Type::Float) {
        let number = |bound: f64| {
            if matches!(ty, Type::Int) {
                json!(bound as i64)
            } else {
                json!(bound)
            }
        };
        if let Some(min) = rules.min {
            schema["minimum"] = number(min);
        }
        if let Some(max) = rules.max {
            schema["maximum"] = number(max);
        }
    }
    schema
}
