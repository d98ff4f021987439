//! A projection handler's `copy:`: the `joins` that name the rows of other projections it
//! reads, and the `project_joined` that copies their fields onto the row `project` gives.

use super::layout;
use super::rust::{is_copy, read, some_if};
use crate::model::ir::{Copy, Handler, WhereValue};

/// The two functions of a handler that copies, each laid out at the impl's indent (4).
pub struct CopyFns {
    pub joins: String,
    pub project_joined: String,
}

/// Both functions for `handler`, when it copies anything.
pub fn copy_fns(handler: &Handler) -> Option<CopyFns> {
    if handler.copies.is_empty() {
        return None;
    }
    let event = &handler.event.name;
    let uses = |from_event: bool| {
        handler
            .copies
            .iter()
            .any(|copy| matches!(copy.key, WhereValue::EventField(_)) == from_event)
    };
    let (event_name, envelope_name) = (
        if uses(true) { "event" } else { "_event" },
        if uses(false) { "envelope" } else { "_envelope" },
    );
    let rows: Vec<String> = handler
        .copies
        .iter()
        .map(|copy| {
            format!(
                "Join::row::<{}, {}>({})",
                copy.from,
                copy.aggregate,
                key(copy)
            )
        })
        .collect();
    let joins = format!(
        "{}\n        {}\n    }}",
        layout::signature(
            "fn joins",
            &[
                format!("{event_name}: &{event}"),
                format!("{envelope_name}: &EventEnvelope"),
            ],
            "Vec<Join>",
            4,
        ),
        layout::array("vec![", &rows, 8, 0),
    );
    let mut body = vec![
        "let mut row = match Self::project(row, event, envelope) {".to_owned(),
        "    Change::Upsert(row) => row,".to_owned(),
        "    unchanged => return unchanged,".to_owned(),
        "};".to_owned(),
    ];
    for copy in &handler.copies {
        body.push(format!(
            "if let Some(from) = joined.row::<{}>({}) {{",
            copy.from,
            key(copy)
        ));
        for field in &copy.set {
            let value = read(&format!("from.{}", field.source.name), &field.source.ty);
            body.push(format!(
                "    row.{} = {};",
                field.target.name,
                some_if(field.wrap_some, value)
            ));
        }
        body.push("}".to_owned());
    }
    body.push("Change::Upsert(row)".to_owned());
    let project_joined = format!(
        "{}\n{}\n    }}",
        layout::signature(
            "fn project_joined",
            &[
                "row: Option<Self>".to_owned(),
                format!("event: &{event}"),
                "envelope: &EventEnvelope".to_owned(),
                "joined: &Joined".to_owned(),
            ],
            "Change<Self>",
            4,
        ),
        body.iter()
            .map(|line| format!("        {line}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    Some(CopyFns {
        joins,
        project_joined,
    })
}

/// The key of the row a copy reads, as something that serializes as that projection stores
/// its key: borrowed only where it cannot be copied (clippy asks so of a generic argument).
fn key(copy: &Copy) -> String {
    match &copy.key {
        WhereValue::EventField(field) if is_copy(&field.ty) => format!("event.{}", field.name),
        WhereValue::EventField(field) => format!("&event.{}", field.name),
        WhereValue::AggregateId if copy.numeric_key => {
            "eventwright::projection::numeric_id_key(envelope)".to_owned()
        }
        WhereValue::AggregateId => "&envelope.aggregate_id".to_owned(),
    }
}
