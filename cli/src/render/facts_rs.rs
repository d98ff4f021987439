//! `src/facts.rs`: each fact's state, the tags that name one, and how each event it folds
//! changes it.

use askama::Template;

use super::fields::FieldView;
use super::imports::{Imports, use_line};
use super::layout;
use super::names::snake;
use super::rust::{change_statements, uses_event};
use crate::model::ir::{Aggregate, Fact, Model};

#[derive(Template)]
#[template(path = "src/facts.rs")]
pub(super) struct FactsRs {
    uses: Vec<String>,
    crate_uses: Vec<String>,
    facts: Vec<FactView>,
}

struct FactView {
    name: String,
    /// `#[fact(from = Appointment)]`, laid out.
    attribute: String,
    tags: Vec<FieldView>,
    state: Vec<FieldView>,
    /// One `impl Apply<AggregateEvent>` per aggregate whose events it folds.
    applies: Vec<ApplyView>,
}

struct ApplyView {
    event_enum: String,
    /// `(pattern, statements)` per event folded.
    arms: Vec<(String, Vec<String>)>,
    /// Whether some of the aggregate's events are not folded: then a `_ => {}` arm.
    others: bool,
}

impl FactsRs {
    pub(super) fn new(model: &Model) -> Self {
        let mut imports = Imports::default();
        let mut crate_uses = Vec::new();
        for fact in &model.facts {
            for field in fact.tags.iter().chain(&fact.state) {
                imports.add(&field.ty);
            }
            for aggregate in fact.from() {
                let names = [aggregate.to_owned(), format!("{aggregate}Event")];
                crate_uses.extend(use_line(&format!("crate::{}", snake(aggregate)), &names));
            }
        }
        crate_uses.extend(use_line("crate::types", &imports.model_types()));
        crate_uses.sort();
        crate_uses.dedup();
        let facts = model
            .facts
            .iter()
            .map(|fact| fact_view(fact, &model.aggregates))
            .collect();
        // The runtime's derive and trait among the other crates' imports, in rustfmt's order.
        let mut uses = imports.external_lines();
        uses.push("use eventwright::{Apply, Fact};".to_owned());
        uses.sort();
        Self {
            uses,
            crate_uses,
            facts,
        }
    }
}

fn fact_view(fact: &Fact, aggregates: &[Aggregate]) -> FactView {
    let from: Vec<String> = fact
        .from()
        .iter()
        .map(|aggregate| format!("from = {aggregate}"))
        .collect();
    let applies = fact
        .from()
        .into_iter()
        .map(|aggregate| {
            let event_enum = format!("{aggregate}Event");
            let handlers: Vec<_> = fact
                .handlers
                .iter()
                .filter(|handler| handler.aggregate == aggregate)
                .collect();
            let arms = handlers
                .iter()
                .map(|handler| {
                    let binding = if uses_event(&handler.changes) {
                        "event"
                    } else {
                        "_"
                    };
                    let pattern = format!("{event_enum}::{}({binding})", handler.event.name);
                    (pattern, change_statements(&handler.changes, "self"))
                })
                .collect();
            let declared = aggregates
                .iter()
                .find(|a| a.name == aggregate)
                .map_or(0, |a| a.events.len());
            ApplyView {
                event_enum,
                arms,
                others: handlers.len() < declared,
            }
        })
        .collect();
    FactView {
        name: fact.name.clone(),
        attribute: layout::attribute("fact", &from, 0),
        tags: fact.tags.iter().map(FieldView::plain).collect(),
        state: fact.state.iter().map(FieldView::plain).collect(),
        applies,
    }
}
