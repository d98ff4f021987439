//! The read-model modules: one per projection, and the engine that runs them all.

use askama::Template;

use super::copies::{CopyFns, copy_fns};
use super::fields::FieldView;
use super::imports::{Imports, use_line};
use super::layout;
use super::names::snake;
use super::rust::change_statements;
use crate::model::ir::{Broker, ChangeOp, Index, Model, Projection, RowKey, Type, WhereValue};

pub struct ProjectionView<'a> {
    projection: Names<'a>,
    uses: Vec<String>,
    crate_uses: Vec<String>,
    fields: Vec<(FieldView, bool)>,
    /// The `#[projection(...)]` attribute, laid out.
    attribute: String,
    handlers: Vec<HandlerView>,
    /// Whether some handler builds a row (and so needs `row_for`).
    builds_rows: bool,
    /// Whether some handler changes every row holding a value (and so names `Rows`).
    uses_rows: bool,
    /// Whether some handler copies from another projection (and so names `Join`, `Joined`).
    joins: bool,
}

/// The projection's name and its key field's, as the template writes them.
struct Names<'a> {
    name: &'a str,
    key: &'a str,
}

struct HandlerView {
    event: String,
    /// The `fn key(...)` line when the key is not the aggregate id as text.
    key_signature: Option<String>,
    key_body: String,
    signature: String,
    statements: Vec<String>,
    deletes: bool,
    /// `joins` and `project_joined`, when it copies from other projections.
    copies: Option<CopyFns>,
}

impl<'a> ProjectionView<'a> {
    pub fn new(projection: &'a Projection) -> Self {
        let mut imports = Imports::default();
        for field in &projection.fields {
            imports.add(&field.ty);
        }
        let ignored: Vec<String> = projection
            .ignored
            .iter()
            .map(|ignored| ignored.event.name.clone())
            .collect();
        let handlers: Vec<HandlerView> = projection
            .handlers
            .iter()
            .map(|handler| {
                let event = &handler.event.name;
                let deletes = handler.changes.contains(&ChangeOp::Delete);
                let (key_signature, key_body) = match (&handler.key, &projection.key.ty) {
                    (RowKey::Where { column, value }, _) => {
                        let (event_name, envelope_name, value) = match value {
                            WhereValue::EventField(field) => (
                                "event",
                                "_envelope",
                                format!("serde_json::json!(event.{})", field.name),
                            ),
                            WhereValue::AggregateId if column.ty == Type::Int => (
                                "_event",
                                "envelope",
                                "eventwright::projection::numeric_id_key(envelope)".to_owned(),
                            ),
                            WhereValue::AggregateId => (
                                "_event",
                                "envelope",
                                "serde_json::json!(envelope.aggregate_id)".to_owned(),
                            ),
                        };
                        let fields = [
                            ("column".to_owned(), format!("{:?}", column.name)),
                            ("value".to_owned(), value),
                        ];
                        (
                            Some(rows_signature(event, event_name, envelope_name)),
                            layout::struct_literal("Rows::Where", &fields, 8, 0),
                        )
                    }
                    (RowKey::EventField(field), _) => (
                        Some(key_signature(event, "event", "_envelope")),
                        format!("serde_json::json!(event.{})", field.name),
                    ),
                    (RowKey::AggregateId, Type::Int) => (
                        Some(key_signature(event, "_event", "envelope")),
                        "eventwright::projection::numeric_id_key(envelope)".to_owned(),
                    ),
                    (RowKey::AggregateId, _) => (None, String::new()),
                };
                let names = if deletes {
                    ["_row", "_event", "_envelope"]
                } else {
                    ["row", "event", "envelope"]
                };
                HandlerView {
                    event: event.clone(),
                    key_signature,
                    key_body,
                    signature: layout::signature(
                        "fn project",
                        &[
                            format!("{}: Option<Self>", names[0]),
                            format!("{}: &{event}", names[1]),
                            format!("{}: &EventEnvelope", names[2]),
                        ],
                        "Change<Self>",
                        4,
                    ),
                    statements: change_statements(&handler.changes, "row"),
                    deletes,
                    copies: copy_fns(handler),
                }
            })
            .collect();
        // Each aggregate's event enum, and the events of it that are handled or ignored, from
        // its module.
        // The aggregates whose ids key the rows it copies from, from their modules too.
        let copies: Vec<_> = projection.handlers.iter().flat_map(|h| &h.copies).collect();
        let mut modules: Vec<&String> = projection.aggregates.iter().collect();
        for copy in &copies {
            if !modules.contains(&&copy.aggregate) {
                modules.push(&copy.aggregate);
            }
        }
        let mut crate_uses: Vec<String> = Vec::new();
        let mut enums: Vec<String> = Vec::new();
        for aggregate in modules {
            let handled = projection.handlers.iter().map(|h| (&h.aggregate, &h.event));
            let ignored = projection.ignored.iter().map(|i| (&i.aggregate, &i.event));
            let mut names: Vec<String> = handled
                .chain(ignored)
                .filter(|(owner, _)| *owner == aggregate)
                .map(|(_, event)| event.name.clone())
                .collect();
            if projection.aggregates.contains(aggregate) {
                let event_enum = format!("{aggregate}Event");
                names.push(event_enum.clone());
                enums.push(event_enum);
            }
            if copies.iter().any(|copy| copy.aggregate == *aggregate) {
                names.push(aggregate.clone());
            }
            names.sort();
            names.dedup();
            crate_uses.extend(use_line(&format!("crate::{}", snake(aggregate)), &names));
        }
        for read in projection.reads() {
            crate_uses.extend(use_line(
                &format!("crate::projections::{}", snake(read)),
                &[read.to_owned()],
            ));
        }
        crate_uses.extend(use_line("crate::types", &imports.model_types()));
        crate_uses.sort();
        let received = match enums.as_slice() {
            [one] => format!("event = {one}"),
            several => format!("events({})", several.join(", ")),
        };
        let mut args = vec![received, format!("key = {}", projection.key.name)];
        if !ignored.is_empty() {
            args.push(format!("ignore({})", ignored.join(", ")));
        }
        let reads = projection.reads();
        if !reads.is_empty() {
            args.push(format!("reads({})", reads.join(", ")));
        }
        // A lookup by one field is marked on the field; the others are written out here.
        for index in projection.indexes.iter().filter(|i| !is_by_one(i)) {
            // A term reaching inside a field is a string: `"address.city"`, `"authors[]"`.
            let mut fields: Vec<String> = index
                .equal
                .iter()
                .map(|term| {
                    if term.contains(['.', '[']) {
                        format!("{term:?}")
                    } else {
                        term.clone()
                    }
                })
                .collect();
            fields.extend(index.order.iter().map(|order| format!("order = {order}")));
            args.push(format!("index({})", fields.join(", ")));
        }
        for summary in &projection.summaries {
            args.push(if summary.sums.is_empty() {
                format!("count_by({})", summary.by)
            } else {
                format!("count_by({}, sum({}))", summary.by, summary.sums.join(", "))
            });
        }
        Self {
            projection: Names {
                name: &projection.name,
                key: &projection.key.name,
            },
            uses: imports.external_lines(),
            crate_uses,
            fields: projection
                .fields
                .iter()
                .map(|field| {
                    (
                        FieldView::plain(field),
                        projection
                            .indexes
                            .iter()
                            .any(|index| is_by_one(index) && index.equal[0] == field.name),
                    )
                })
                .collect(),
            attribute: layout::attribute("projection", &args, 0),
            builds_rows: handlers.iter().any(|h| !h.deletes),
            uses_rows: projection
                .handlers
                .iter()
                .any(|h| matches!(h.key, RowKey::Where { .. })),
            joins: !copies.is_empty(),
            handlers,
        }
    }
}

fn rows_signature(event: &str, event_name: &str, envelope_name: &str) -> String {
    layout::signature(
        "fn rows",
        &[
            format!("{event_name}: &{event}"),
            format!("{envelope_name}: &EventEnvelope"),
        ],
        "Rows",
        4,
    )
}

fn key_signature(event: &str, event_name: &str, envelope_name: &str) -> String {
    layout::signature(
        "fn key",
        &[
            format!("{event_name}: &{event}"),
            format!("{envelope_name}: &EventEnvelope"),
        ],
        "serde_json::Value",
        4,
    )
}

#[derive(Template)]
#[template(path = "src/projections/projection.rs")]
pub struct ProjectionRs<'a> {
    pub view: &'a ProjectionView<'a>,
}

#[derive(Template)]
#[template(path = "src/projections/mod.rs")]
pub struct ProjectionsRs {
    modules: Vec<(String, String)>,
    /// `ProjectionEngine::new(read, events, feed).with::<...>()...`, laid out.
    engine: String,
    /// `&["Order", ...]`, laid out, on Kafka: the aggregates whose topics the projections read.
    aggregates: Option<String>,
}

impl ProjectionsRs {
    pub fn new(model: &Model) -> Self {
        let mut modules: Vec<(String, String)> = model
            .projections
            .iter()
            .map(|p| (snake(&p.name), p.name.clone()))
            .collect();
        // rustfmt orders `mod` declarations by name.
        modules.sort();
        let calls: Vec<String> = modules
            .iter()
            .map(|(module, name)| format!(".with::<{module}::{name}>()"))
            .collect();
        let engine = layout::chain("ProjectionEngine::new(read, events, feed)", &calls, 4, "");
        let aggregates = (model.stores.broker == Broker::Kafka).then(|| {
            let names: Vec<String> = model
                .aggregates
                .iter()
                .map(|aggregate| format!("{:?}", aggregate.name))
                .collect();
            let prefix = "pub const AGGREGATES: &[&str] = ";
            layout::array("&[", &names, 0, prefix.len())
        });
        Self {
            modules,
            engine,
            aggregates,
        }
    }
}

/// Whether `index` looks rows up by one field, in key order.
fn is_by_one(index: &Index) -> bool {
    matches!(index.equal.as_slice(), [one] if !one.contains(['.', '['])) && index.order.is_none()
}
