//! `asyncapi.json`: the service's Kafka topics and event payloads as an AsyncAPI 3 document,
//! for the teams that consume them and for their tools (code generators, catalogs, linters).
//!
//! Built as JSON values rather than from a template: the schemas nest as deep as the model's
//! types, and `serde_json` writes them the same way every time.

use serde_json::{Map, Value, json};

use super::names::{kebab, snake};
use crate::model::ir::{Aggregate, Event, Field, Model, Type, Workflow};

/// The document for a service whose broker is Kafka.
pub fn document(model: &Model) -> String {
    let service = &model.service;
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    for aggregate in &model.aggregates {
        let channel = aggregate.name.clone();
        let mut refs = Map::new();
        for event in &aggregate.events {
            let id = format!("{}.{}", aggregate.name, event.name);
            refs.insert(
                event.name.clone(),
                json!({ "$ref": format!("#/components/messages/{id}") }),
            );
            messages.insert(id, message(aggregate, event));
        }
        let message_refs: Vec<Value> = aggregate
            .events
            .iter()
            .map(|event| json!({ "$ref": format!("#/channels/{channel}/messages/{}", event.name) }))
            .collect();
        channels.insert(
            channel.clone(),
            json!({
                "address": format!("{service}.{}", aggregate.name),
                "title": format!("{} events", aggregate.name),
                "description": format!(
                    "Every event of every {0}, keyed by the {0}'s id so each one's events stay \
                     in order in one partition. The default prefix `{service}.` is set with \
                     `--kafka-topic-prefix`. Published in transactions: read with \
                     `isolation.level=read_committed`.",
                    aggregate.name
                ),
                "messages": refs,
                "bindings": { "kafka": { "partitions": 3, "replicas": 1 } },
            }),
        );
        operations.insert(
            format!("publish{}", aggregate.name),
            json!({
                "action": "send",
                "title": format!("The outbox relay publishes {} events", aggregate.name),
                "channel": { "$ref": format!("#/channels/{channel}") },
                "messages": message_refs,
            }),
        );
    }
    for projection in &model.projections {
        let name = snake(&projection.name);
        channels.insert(
            format!("dead-letter.{name}"),
            json!({
                "address": format!("{service}.dead-letter.{name}"),
                "title": format!("Events {} could not apply", projection.name),
                "description": "The record as it was consumed, key, value and headers, with \
                    `dead_letter.error`, `dead_letter.projection`, `dead_letter.topic`, \
                    `dead_letter.partition` and `dead_letter.offset` headers added.",
            }),
        );
    }
    for workflow in &model.workflows {
        workflow_operations(workflow, service, &mut channels, &mut operations);
    }
    let mut schemas = Map::new();
    for value in &model.values {
        schemas.insert(value.name.clone(), object(&value.fields));
    }
    for enumeration in &model.enums {
        schemas.insert(
            enumeration.name.clone(),
            json!({ "type": "string", "enum": enumeration.variants }),
        );
    }
    let mut info = json!({
        "title": service,
        "version": "0.1.0",
    });
    if let Some(description) = &model.description {
        info["description"] = json!(description);
    }
    let document = json!({
        "asyncapi": "3.0.0",
        "info": info,
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The broker of docker-compose.yml",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
        },
    });
    format!("{document:#}\n")
}

/// A workflow's consumption of each aggregate's events it reacts to, in a consumer group of
/// its own, and its dead-letter channel.
fn workflow_operations(
    workflow: &Workflow,
    service: &str,
    channels: &mut Map<String, Value>,
    operations: &mut Map<String, Value>,
) {
    let group = format!("workflow.{}", kebab(&workflow.name));
    for aggregate in workflow.aggregates() {
        let messages: Vec<Value> = workflow
            .on
            .iter()
            .filter(|on| on.aggregate == aggregate)
            .map(|on| json!({ "$ref": format!("#/channels/{aggregate}/messages/{}", on.event.name) }))
            .collect();
        let mut sent: Vec<String> = Vec::new();
        for send in workflow.reactions().flat_map(|reaction| &reaction.send) {
            if !sent.contains(&send.command) {
                sent.push(send.command.clone());
            }
        }
        let mut description = format!("In the consumer group `{service}.{group}`.");
        if !sent.is_empty() {
            description.push_str(&format!(" Sends {}, each once in effect.", sent.join(", ")));
        }
        operations.insert(
            format!("{}Receives{aggregate}", workflow.name),
            json!({
                "action": "receive",
                "title": format!("The workflow {} reacts to {aggregate} events", workflow.name),
                "description": description,
                "channel": { "$ref": format!("#/channels/{aggregate}") },
                "messages": messages,
            }),
        );
    }
    channels.insert(
        format!("dead-letter.{group}"),
        json!({
            "address": format!("{service}.dead-letter.{group}"),
            "title": format!("Events the workflow {} could not take", workflow.name),
            "description": "The record as it was consumed, key, value and headers, with \
                `dead_letter.error` (naming the workflow), `dead_letter.projection`, \
                `dead_letter.topic`, `dead_letter.partition` and `dead_letter.offset` headers \
                added.",
        }),
    );
}

/// One event as a Kafka record: the envelope with the event's fields as its payload, and the
/// headers the relay sets.
fn message(aggregate: &Aggregate, event: &Event) -> Value {
    let string = json!({ "type": "string" });
    json!({
        "name": event.name,
        "title": format!("{} v{}", event.name, event.version),
        "summary": format!("A {} recorded {}.", aggregate.name, event.name),
        "headers": {
            "type": "object",
            "required": ["event_type", "event_version", "event_id", "aggregate_type", "sequence"],
            "properties": {
                "event_type": { "const": event.name },
                "event_version": { "const": event.version.to_string() },
                "event_id": { "type": "string", "format": "uuid" },
                "aggregate_type": { "const": aggregate.name },
                "sequence": { "type": "string", "pattern": "^[1-9][0-9]*$" },
                "correlation_id": string,
                "causation_id": string,
                "traceparent": string,
            },
        },
        "payload": {
            "type": "object",
            "required": [
                "event_id", "aggregate_type", "aggregate_id", "sequence", "position",
                "event_type", "event_version", "timestamp", "metadata", "payload"
            ],
            "properties": {
                "event_id": { "type": "string", "format": "uuid" },
                "aggregate_type": { "const": aggregate.name },
                "aggregate_id": schema(&aggregate.id.ty),
                "sequence": { "type": "integer", "minimum": 1,
                              "description": "The event's place in its aggregate: 1, 2, 3, ..." },
                "position": { "type": "integer", "minimum": 1,
                              "description": "The event's place in the event store's log." },
                "event_type": { "const": event.name },
                "event_version": { "const": event.version },
                "timestamp": { "type": "string", "format": "date-time" },
                "metadata": {
                    "type": "object",
                    "properties": {
                        "correlation_id": { "type": ["string", "null"] },
                        "causation_id": { "type": ["string", "null"] },
                        "traceparent": { "type": "string" },
                    },
                },
                "payload": object(&event.fields),
            },
        },
        "bindings": {
            "kafka": { "key": id_key(&aggregate.id.ty) }
        },
    })
}

/// The record key: the aggregate id in its text form.
fn id_key(ty: &Type) -> Value {
    match ty {
        Type::Int => json!({ "type": "string", "pattern": "^-?[0-9]+$" }),
        Type::Uuid => json!({ "type": "string", "format": "uuid" }),
        _ => json!({ "type": "string" }),
    }
}

fn object(fields: &[Field]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| (field.name.clone(), schema(&field.ty)))
        .collect();
    let required: Vec<&str> = fields.iter().map(|field| field.name.as_str()).collect();
    json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false,
    })
}

/// A field's JSON form, as serde writes the generated Rust type.
fn schema(ty: &Type) -> Value {
    match ty {
        Type::String => json!({ "type": "string" }),
        Type::Bool => json!({ "type": "boolean" }),
        Type::Int => json!({ "type": "integer" }),
        Type::Float => json!({ "type": "number" }),
        Type::Decimal => json!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$" }),
        Type::Uuid => json!({ "type": "string", "format": "uuid" }),
        Type::Timestamp => json!({ "type": "string", "format": "date-time" }),
        Type::Date => json!({ "type": "string", "format": "date" }),
        Type::Enum(def) => json!({ "$ref": format!("#/components/schemas/{}", def.name) }),
        Type::Value(def) => json!({ "$ref": format!("#/components/schemas/{}", def.name) }),
        Type::List(inner) => json!({ "type": "array", "items": schema(inner) }),
        Type::Optional(inner) => json!({ "oneOf": [schema(inner), { "type": "null" }] }),
    }
}
