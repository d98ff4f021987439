//! The aggregate module (state, commands, events, how events change the state) and its
//! user-owned handler file.

use askama::Template;

use super::fields::FieldView;
use super::imports::{Imports, use_line};
use super::layout;
use super::names::snake;
use super::rust::{
    change_statements, event_value, guard_uses_command, guard_violated, refusal, rust_type, served,
    uses_event,
};
use crate::model::ir::{Aggregate, Command, Event, Field, Persistence, Unique};

use super::decision::{decide_body, decision_fields, id_attribute};

/// What the aggregate module and its handler file are made of.
pub struct AggregateView<'a> {
    aggregate: &'a Aggregate,
    id: FieldView,
    /// `#[aggregate(...)]`, laid out.
    attribute: String,
    /// `use eventwright::{..};`: the derives the module uses.
    derives: String,
    uses: Vec<String>,
    crate_uses: Vec<String>,
    state: Vec<FieldView>,
    commands: Vec<CommandView>,
    events: Vec<EventView>,
    /// The `use` lines of the handler file: the runtime's, then the other aggregates'.
    handler_uses: Vec<String>,
    handler_crate_uses: Vec<String>,
}

struct CommandView {
    name: String,
    /// `Command`, or `Decision` for a command that reads other aggregates.
    derive: &'static str,
    /// `#[command(...)]` or `#[decision(...)]`, laid out.
    attribute: String,
    /// The attribute marking the aggregate id: `#[command(id)]` or `#[decision(reads = ..)]`.
    id_attribute: String,
    fields: Vec<FieldView>,
    /// For a decision, the body of its `decide`, statement by statement; `None` for a command.
    decide: Option<Vec<String>>,
    /// `Handle`, or `HandleWith` for a handler that reads the clock.
    handler: &'static str,
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
    /// `#[event(name = .., version = .., tags(..))]`, laid out.
    attribute: String,
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
                attribute: event_attribute(event),
                fields: event.fields.iter().map(FieldView::plain).collect(),
                param: if uses_event(&event.apply) {
                    "event"
                } else {
                    "_event"
                },
                statements: change_statements(&event.apply, "self"),
            })
            .collect();
        let decides = aggregate.commands.iter().any(|c| c.is_decision());
        let handles = aggregate.commands.iter().any(|c| !c.is_decision());
        let mut derives = vec!["Aggregate", "Apply", "Event"];
        derives.extend(handles.then_some("Command"));
        derives.extend(decides.then_some("Decision"));
        derives.sort_unstable();
        let mut crate_uses: Vec<String> = use_line("crate::types", &imports.model_types())
            .into_iter()
            .collect();
        // The facts its decisions read, for their `fact = ..`.
        let mut facts: Vec<String> = aggregate
            .commands
            .iter()
            .flat_map(|c| &c.facts)
            .map(|read| read.fact.name.clone())
            .collect();
        facts.sort();
        facts.dedup();
        crate_uses.extend(use_line("crate::facts", &facts));
        // The other aggregates its decisions read, for their `reads = ..`.
        let mut read_types: Vec<(String, String)> = aggregate
            .commands
            .iter()
            .flat_map(|c| &c.depends_on)
            .filter(|d| d.aggregate != aggregate.name)
            .map(|d| (snake(&d.aggregate), d.aggregate.clone()))
            .collect();
        read_types.sort();
        read_types.dedup();
        for (module, name) in &read_types {
            crate_uses.extend(use_line(
                &format!("crate::{module}"),
                std::slice::from_ref(name),
            ));
        }
        crate_uses.extend(use_line(
            "crate::services",
            std::slice::from_ref(&"Services".to_owned()),
        ));
        crate_uses.sort();
        Self {
            aggregate,
            id: FieldView::plain(&aggregate.id),
            attribute: aggregate_attribute(aggregate),
            uses: imports.external_lines(),
            crate_uses,
            derives: use_line(
                "eventwright",
                &derives.iter().map(|d| (*d).to_owned()).collect::<Vec<_>>(),
            )
            .unwrap_or_default(),
            handler_uses: handler_uses(aggregate),
            handler_crate_uses: handler_crate_uses(aggregate),
            state: aggregate
                .state
                .iter()
                .map(|field| FieldView::plain(field).marked(unique_marker(aggregate, field)))
                .collect(),
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

fn event_attribute(event: &Event) -> String {
    let mut args = vec![
        format!("name = {:?}", event.name),
        format!("version = {}", event.version),
    ];
    if !event.tags.is_empty() {
        let tags: Vec<&str> = event.tags.iter().map(|tag| tag.name.as_str()).collect();
        args.push(format!("tags({})", tags.join(", ")));
    }
    layout::attribute("event", &args, 4)
}

fn aggregate_attribute(aggregate: &Aggregate) -> String {
    let mut args = vec![
        format!("id = {}", rust_type(&aggregate.id.ty)),
        format!("event = {}Event", aggregate.name),
        "services = Services".to_owned(),
    ];
    if aggregate.persistence == Persistence::StateStored {
        args.push("persistence = \"state_stored\"".to_owned());
    }
    layout::attribute("aggregate", &args, 0)
}

/// `#[aggregate(unique)]` on a unique state field, or nothing.
fn unique_marker(aggregate: &Aggregate, field: &Field) -> String {
    match aggregate.unique.iter().find(|u| u.field.name == field.name) {
        None => String::new(),
        Some(Unique { within: None, .. }) => "#[aggregate(unique)]".to_owned(),
        Some(Unique {
            within: Some(within),
            ..
        }) => format!("#[aggregate(unique(within = {}))]", within.name),
    }
}

/// The handler file's `use` lines for the runtime: the traits its impls need.
fn handler_uses(aggregate: &Aggregate) -> Vec<String> {
    let mut uses = Vec::new();
    let decisions: Vec<&Command> = aggregate
        .commands
        .iter()
        .filter(|c| c.is_decision())
        .collect();
    if !decisions.is_empty() {
        uses.push("use eventwright::decision::{Changes, Decide, Read};".to_owned());
    }
    let mut runtime = vec!["Rejection"];
    let plain = |c: &&Command| !c.is_decision() && !c.reads_clock();
    if aggregate.commands.iter().any(|c| plain(&c)) {
        runtime.push("Handle");
    }
    if aggregate
        .commands
        .iter()
        .any(|c| !c.is_decision() && c.reads_clock())
    {
        runtime.extend(["Context", "HandleWith"]);
    }
    if !decisions.is_empty() {
        runtime.push("DispatchError");
    }
    runtime.sort_unstable();
    let runtime: Vec<String> = runtime.into_iter().map(str::to_owned).collect();
    uses.extend(use_line("eventwright", &runtime));
    uses
}

/// The other aggregates' types the handler file's decisions name.
fn handler_crate_uses(aggregate: &Aggregate) -> Vec<String> {
    let mut uses = Vec::new();
    let decisions = aggregate.commands.iter().filter(|c| c.is_decision());
    let mut others: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for dependency in decisions.flat_map(|c| &c.depends_on) {
        if dependency.aggregate == aggregate.name {
            continue;
        }
        let names = others.entry(snake(&dependency.aggregate)).or_default();
        names.push(dependency.aggregate.clone());
        names.extend(dependency.emits.iter().map(|emit| emit.event.name.clone()));
    }
    // The facts whose state a decision checks.
    let mut facts: Vec<String> = aggregate
        .commands
        .iter()
        .flat_map(|c| &c.facts)
        .filter(|read| !read.guards.is_empty())
        .map(|read| read.fact.name.clone())
        .collect();
    if !facts.is_empty() {
        facts.sort();
        facts.dedup();
        others.insert("facts".to_owned(), facts);
    }
    for (module, mut names) in others {
        names.sort();
        names.dedup();
        uses.extend(use_line(&format!("crate::{module}"), &names));
    }
    uses
}

fn command_view(aggregate: &Aggregate, command: &Command) -> CommandView {
    if command.is_decision() {
        return CommandView {
            name: command.name.clone(),
            derive: "Decision",
            attribute: "#[decision(validate)]".to_owned(),
            id_attribute: id_attribute(aggregate, command),
            fields: decision_fields(command),
            decide: Some(decide_body(aggregate, command)),
            handler: "",
            signature: String::new(),
            guards: Vec::new(),
            bindings: Vec::new(),
            result: String::new(),
        };
    }
    let guards = command
        .guards
        .iter()
        .map(|guard| {
            let refusal = refusal(guard, "return Err", 12, ";");
            (guard_violated(guard), refusal)
        })
        .collect();
    let mut bindings: Vec<String> = command
        .served
        .iter()
        .map(|value| format!("let {} = {};", value.name, served(value, "context")))
        .collect();
    let mut results = Vec::new();
    for emit in &command.emits {
        let fields: Vec<(String, String)> = emit
            .fields
            .iter()
            .map(|fed| {
                let value = event_value(fed, &aggregate.id, "command", "self");
                (fed.field.name.clone(), value)
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
    let mut params = vec!["&self".to_owned(), format!("{param}: &{}", command.name)];
    let (handler, head) = if command.reads_clock() {
        params.push("context: Context<'_, Services>".to_owned());
        ("HandleWith", "async fn handle")
    } else {
        ("Handle", "fn handle")
    };
    let mut attribute = vec![format!("aggregate = {}", aggregate.name)];
    if command.creates {
        attribute.push("creates".to_owned());
    }
    attribute.push("validate".to_owned());
    CommandView {
        name: command.name.clone(),
        derive: "Command",
        attribute: layout::attribute("command", &attribute, 0),
        id_attribute: "#[command(id)]".to_owned(),
        decide: None,
        fields: command.fields.iter().map(FieldView::validated).collect(),
        handler,
        signature: layout::signature(
            head,
            &params,
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
