//! The aggregate module (state, commands, events, how events change the state) and its
//! user-owned handler file.

use askama::Template;

use super::fields::FieldView;
use super::imports::{Imports, use_line};
use super::layout;
use super::names::snake;
use super::rust::{
    change_statements, guard_uses_command, guard_violated, read, rust_type, some_if, uses_event,
};
use crate::model::ir::{Aggregate, Command, Persistence};

/// What the aggregate module and its handler file are made of.
pub struct AggregateView<'a> {
    aggregate: &'a Aggregate,
    id: FieldView,
    /// `#[aggregate(...)]`, laid out.
    attribute: String,
    uses: Vec<String>,
    crate_uses: Vec<String>,
    state: Vec<FieldView>,
    commands: Vec<CommandView>,
    events: Vec<EventView>,
}

struct CommandView {
    name: String,
    creates: bool,
    fields: Vec<FieldView>,
    /// The `fn handle(...) -> ... {` line, laid out.
    signature: String,
    /// `(condition under which it is refused, the return statement)`.
    guards: Vec<(String, String)>,
    /// One `let` binding per emitted event, laid out.
    bindings: Vec<String>,
    /// `Ok(vec![...])`, laid out.
    result: String,
}

struct EventView {
    name: String,
    version: u32,
    fields: Vec<FieldView>,
    param: &'static str,
    statements: Vec<String>,
}

impl<'a> AggregateView<'a> {
    pub fn new(aggregate: &'a Aggregate) -> Self {
        let mut imports = Imports::default();
        imports.add(&aggregate.id.ty);
        let all_fields = aggregate
            .state
            .iter()
            .chain(aggregate.commands.iter().flat_map(|c| &c.fields))
            .chain(aggregate.events.iter().flat_map(|e| &e.fields));
        for field in all_fields {
            imports.add(&field.ty);
        }
        let events = aggregate
            .events
            .iter()
            .map(|event| EventView {
                name: event.name.clone(),
                version: event.version,
                fields: event.fields.iter().map(FieldView::plain).collect(),
                param: if uses_event(&event.apply) {
                    "event"
                } else {
                    "_event"
                },
                statements: change_statements(&event.apply, "self"),
            })
            .collect();
        Self {
            aggregate,
            id: FieldView::plain(&aggregate.id),
            attribute: aggregate_attribute(aggregate),
            uses: imports.external_lines(),
            crate_uses: use_line("crate::types", &imports.model_types())
                .into_iter()
                .collect(),
            state: aggregate.state.iter().map(FieldView::plain).collect(),
            commands: aggregate
                .commands
                .iter()
                .map(|command| command_view(aggregate, command))
                .collect(),
            events,
        }
    }
}

impl AggregateView<'_> {
    pub fn state_stored(&self) -> bool {
        self.aggregate.persistence == Persistence::StateStored
    }
}

fn aggregate_attribute(aggregate: &Aggregate) -> String {
    let mut args = vec![
        format!("id = {}", rust_type(&aggregate.id.ty)),
        format!("event = {}Event", aggregate.name),
    ];
    if aggregate.persistence == Persistence::StateStored {
        args.push("persistence = \"state_stored\"".to_owned());
    }
    layout::attribute("aggregate", &args, 0)
}

fn command_view(aggregate: &Aggregate, command: &Command) -> CommandView {
    let guards = command
        .guards
        .iter()
        .map(|guard| {
            let message = format!("{:?}", guard.message);
            let refusal =
                layout::nested_call_with_text("return Err", "Rejection::guard", &message, 12, ";");
            (guard_violated(guard), refusal)
        })
        .collect();
    let mut bindings = Vec::new();
    let mut results = Vec::new();
    for emit in &command.emits {
        let fields: Vec<(String, String)> = emit
            .fields
            .iter()
            .map(|fed| {
                let name = &fed.field.name;
                let value = read(&format!("command.{name}"), &fed.read_from(&aggregate.id).ty);
                (name.clone(), some_if(fed.wrap_some, value))
            })
            .collect();
        let name = &emit.event.name;
        let binding = snake(name);
        let prefix = format!("let {binding} = ");
        bindings.push(format!(
            "{prefix}{};",
            layout::struct_literal(name, &fields, 8, prefix.len())
        ));
        results.push(format!("{binding}.into()"));
    }
    let reads_command = bindings.iter().any(|b| b.contains("command."))
        || command.guards.iter().any(guard_uses_command);
    let param = if reads_command { "command" } else { "_command" };
    let event_enum = format!("{}Event", aggregate.name);
    CommandView {
        name: command.name.clone(),
        creates: command.creates,
        fields: command.fields.iter().map(FieldView::validated).collect(),
        signature: layout::signature(
            "fn handle",
            &["&self".to_owned(), format!("{param}: &{}", command.name)],
            &format!("Result<Vec<{event_enum}>, Rejection>"),
            4,
        ),
        guards,
        bindings,
        result: format!("Ok({})", layout::array("vec![", &results, 8, 3)),
    }
}

#[derive(Template)]
#[template(path = "src/aggregate/mod.rs")]
pub struct AggregateRs<'a> {
    pub view: &'a AggregateView<'a>,
}

#[derive(Template)]
#[template(path = "src/aggregate/handlers.rs")]
pub struct HandlersRs<'a> {
    pub view: &'a AggregateView<'a>,
}
