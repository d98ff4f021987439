//! One askama template per generated file, and the view each one reads.

use std::path::PathBuf;

use askama::Template;

use super::examples::example;
use super::imports::{Imports, use_line};
use super::names::{kebab, plural_kebab, shouty, snake};
use super::rust::{
    change_statements, guard_uses_command, guard_violated, read, rust_type, uses_event,
};
use super::scenario::{Scenario, refusals, succeeding};
use super::{Options, OutputFile, Owner, RuntimeSource};
use crate::model::ir::{
    Aggregate, ChangeOp, Command, Field, Model, Projection, QueryKind, Rules, Type,
};

/// Renders every file of the service described by `model`.
pub fn render(model: &Model, options: &Options) -> Result<Vec<OutputFile>, askama::Error> {
    let crate_name = snake(&model.service);
    let mut files = vec![
        file(
            "Cargo.toml",
            Owner::User,
            CargoToml {
                model,
                runtime: runtime_dependency(&options.runtime),
            }
            .render()?,
        ),
        file(
            "eventwright.yaml",
            Owner::User,
            crate::schema::annotate(&options.model_source),
        ),
        file(
            crate::schema::PROJECT_PATH,
            Owner::Generated,
            crate::schema::JSON.to_owned(),
        ),
        file(
            ".gitignore",
            Owner::User,
            "/target\n*.db\n*.db-shm\n*.db-wal\n".to_owned(),
        ),
        file("README.md", Owner::Generated, Readme::new(model).render()?),
        file(
            "src/main.rs",
            Owner::Generated,
            MainRs {
                model,
                crate_name: &crate_name,
                env: shouty(&model.service),
                walkthrough: walkthrough(model),
            }
            .render()?,
        ),
        file(
            "src/projections/mod.rs",
            Owner::Generated,
            ProjectionsRs::new(model).render()?,
        ),
        file("src/lib.rs", Owner::Generated, LibRs::new(model).render()?),
        file("src/api.rs", Owner::Generated, ApiRs::new(model).render()?),
        file(
            "tests/http.rs",
            Owner::User,
            HttpTest::new(model, &crate_name).render()?,
        ),
    ];
    if !model.enums.is_empty() || !model.values.is_empty() {
        files.push(file(
            "src/types.rs",
            Owner::Generated,
            TypesRs::new(model).render()?,
        ));
    }
    for aggregate in &model.aggregates {
        let module = snake(&aggregate.name);
        let view = AggregateView::new(aggregate);
        files.push(file(
            &format!("src/{module}/mod.rs"),
            Owner::Generated,
            AggregateRs { view: &view }.render()?,
        ));
        files.push(file(
            &format!("src/{module}/handlers.rs"),
            Owner::User,
            HandlersRs { view: &view }.render()?,
        ));
        files.push(file(
            &format!("tests/{module}.rs"),
            Owner::User,
            AggregateTest::new(model, aggregate, &crate_name).render()?,
        ));
    }
    for projection in &model.projections {
        let view = ProjectionView::new(model, projection);
        files.push(file(
            &format!("src/projections/{}.rs", snake(&projection.name)),
            Owner::Generated,
            ProjectionRs { view: &view }.render()?,
        ));
    }
    Ok(files)
}

fn file(path: &str, owner: Owner, contents: String) -> OutputFile {
    OutputFile {
        path: PathBuf::from(path),
        contents,
        owner,
    }
}

fn runtime_dependency(source: &RuntimeSource) -> String {
    match source {
        RuntimeSource::Path(path) => format!("{{ path = {:?} }}", path.display().to_string()),
        RuntimeSource::Version(version) => format!("{version:?}"),
    }
}

#[derive(Template)]
#[template(path = "Cargo.toml")]
struct CargoToml<'a> {
    model: &'a Model,
    runtime: String,
}

#[derive(Template)]
#[template(path = "src/main.rs")]
struct MainRs<'a> {
    model: &'a Model,
    crate_name: &'a str,
    env: String,
    walkthrough: Walkthrough,
}

/// A struct field as declared.
struct FieldView {
    name: String,
    ty: String,
    /// `#[garde(...)]` rules, or empty where the struct does not validate.
    garde: String,
}

impl FieldView {
    fn plain(field: &Field) -> Self {
        Self {
            name: field.name.clone(),
            ty: rust_type(&field.ty),
            garde: String::new(),
        }
    }

    fn validated(field: &Field) -> Self {
        Self {
            garde: garde_rules(&field.ty, &field.rules),
            ..Self::plain(field)
        }
    }
}

/// The garde attribute for a field's rules. Decimals use the runtime's range check, since
/// garde's `range` covers primitives only.
fn garde_rules(ty: &Type, rules: &Rules) -> String {
    let inner = match ty {
        Type::Optional(inner) => inner.as_ref(),
        other => other,
    };
    let mut parts = Vec::new();
    let min_length = rules.min_length.or(rules.non_empty.then_some(1));
    if min_length.is_some() || rules.max_length.is_some() {
        let mode = if *inner == Type::String {
            "chars, "
        } else {
            ""
        };
        let bounds: Vec<String> = [("min", min_length), ("max", rules.max_length)]
            .into_iter()
            .filter_map(|(name, bound)| bound.map(|bound| format!("{name} = {bound}")))
            .collect();
        parts.push(format!("length({mode}{})", bounds.join(", ")));
    }
    if rules.min.is_some() || rules.max.is_some() {
        if *inner == Type::Decimal {
            let bound = |value: Option<f64>| {
                value.map_or("None".to_owned(), |v| {
                    format!("Some({})", super::rust::decimal(&v.to_string()))
                })
            };
            let check = if matches!(ty, Type::Optional(_)) {
                "optional_decimal_range"
            } else {
                "decimal_range"
            };
            parts.push(format!(
                "custom(eventwright::validate::{check}({}, {}))",
                bound(rules.min),
                bound(rules.max)
            ));
        } else {
            let literal = |value: f64| {
                if *inner == Type::Float {
                    format!("{value:?}")
                } else {
                    format!("{}", value as i64)
                }
            };
            let bounds: Vec<String> = [("min", rules.min), ("max", rules.max)]
                .into_iter()
                .filter_map(|(name, bound)| {
                    bound.map(|bound| format!("{name} = {}", literal(bound)))
                })
                .collect();
            parts.push(format!("range({})", bounds.join(", ")));
        }
    }
    if contains_value(ty) {
        parts.push("dive".to_owned());
    }
    if parts.is_empty() {
        "#[garde(skip)]".to_owned()
    } else {
        format!("#[garde({})]", parts.join(", "))
    }
}

fn contains_value(ty: &Type) -> bool {
    match ty {
        Type::Value(_) => true,
        Type::List(inner) | Type::Optional(inner) => contains_value(inner),
        _ => false,
    }
}

#[derive(Template)]
#[template(path = "src/types.rs")]
struct TypesRs<'a> {
    model: &'a Model,
    uses: Vec<String>,
    values: Vec<(String, Vec<FieldView>)>,
}

impl<'a> TypesRs<'a> {
    fn new(model: &'a Model) -> Self {
        let mut imports = Imports::default();
        for value in &model.values {
            for field in &value.fields {
                imports.add(&field.ty);
            }
        }
        let values = model
            .values
            .iter()
            .map(|value| {
                (
                    value.name.clone(),
                    value.fields.iter().map(FieldView::validated).collect(),
                )
            })
            .collect();
        Self {
            model,
            uses: imports.external_lines(),
            values,
        }
    }
}

/// What the aggregate module and its handler file are made of.
struct AggregateView<'a> {
    aggregate: &'a Aggregate,
    id: FieldView,
    uses: Vec<String>,
    state: Vec<FieldView>,
    commands: Vec<CommandView>,
    events: Vec<EventView>,
}

struct CommandView {
    name: String,
    creates: bool,
    fields: Vec<FieldView>,
    /// `(condition under which it is refused, message)`.
    guards: Vec<(String, String)>,
    /// The parameter name: `command`, or `_command` when the handler never reads it.
    param: &'static str,
    /// One constructor expression per emitted event.
    emits: Vec<String>,
}

struct EventView {
    name: String,
    version: u32,
    fields: Vec<FieldView>,
    param: &'static str,
    statements: Vec<String>,
}

impl<'a> AggregateView<'a> {
    fn new(aggregate: &'a Aggregate) -> Self {
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
        let mut uses = imports.external_lines();
        uses.extend(use_line("crate::types", &imports.model_types()));

        let commands = aggregate
            .commands
            .iter()
            .map(|command| command_view(aggregate, command))
            .collect();
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
                statements: change_statements(
                    &event.apply,
                    "self",
                    &aggregate.state,
                    &event.fields,
                ),
            })
            .collect();
        Self {
            aggregate,
            id: FieldView::plain(&aggregate.id),
            uses,
            state: aggregate.state.iter().map(FieldView::plain).collect(),
            commands,
            events,
        }
    }
}

fn command_view(aggregate: &Aggregate, command: &Command) -> CommandView {
    let guards = command
        .guards
        .iter()
        .map(|guard| {
            (
                guard_violated(guard, &aggregate.state),
                guard.message.clone(),
            )
        })
        .collect();
    let emits: Vec<String> = command
        .emits
        .iter()
        .map(|name| {
            let event = aggregate
                .events
                .iter()
                .find(|e| &e.name == name)
                .expect("a declared event");
            let fields: Vec<String> = event
                .fields
                .iter()
                .map(|field| {
                    let source = command
                        .fields
                        .iter()
                        .find(|f| f.name == field.name)
                        .map_or(&aggregate.id.ty, |f| &f.ty);
                    let value = read(&format!("command.{}", field.name), source);
                    let wrap = matches!(field.ty, Type::Optional(_))
                        && !matches!(source, Type::Optional(_));
                    if wrap {
                        format!("{}: Some({value})", field.name)
                    } else {
                        format!("{}: {value}", field.name)
                    }
                })
                .collect();
            if fields.is_empty() {
                format!("{name} {{}}.into()")
            } else {
                format!("{name} {{ {} }}.into()", fields.join(", "))
            }
        })
        .collect();
    let reads_command = emits.iter().any(|e| e.contains("command."))
        || command.guards.iter().any(guard_uses_command);
    CommandView {
        name: command.name.clone(),
        creates: command.creates,
        fields: command.fields.iter().map(FieldView::validated).collect(),
        guards,
        param: if reads_command { "command" } else { "_command" },
        emits,
    }
}

#[derive(Template)]
#[template(path = "src/aggregate/mod.rs")]
struct AggregateRs<'a> {
    view: &'a AggregateView<'a>,
}

#[derive(Template)]
#[template(path = "src/aggregate/handlers.rs")]
struct HandlersRs<'a> {
    view: &'a AggregateView<'a>,
}

struct ProjectionView<'a> {
    projection: &'a Projection,
    aggregate_module: String,
    event_enum: String,
    uses: Vec<String>,
    event_uses: Vec<String>,
    fields: Vec<(FieldView, bool)>,
    ignored: Vec<String>,
    handlers: Vec<HandlerView>,
    /// Whether the row key comes from the aggregate id and must be parsed from its text form.
    key_from_numeric_id: bool,
}

struct HandlerView {
    event: String,
    key_from: Option<String>,
    statements: Vec<String>,
    deletes: bool,
}

impl<'a> ProjectionView<'a> {
    fn new(model: &'a Model, projection: &'a Projection) -> Self {
        let aggregate_name = projection
            .handlers
            .first()
            .map(|h| h.aggregate.as_str())
            .unwrap_or_default();
        let aggregate = model.aggregates.iter().find(|a| a.name == aggregate_name);
        let mut imports = Imports::default();
        for field in &projection.fields {
            imports.add(&field.ty);
        }
        let mut uses = imports.external_lines();
        uses.extend(use_line("crate::types", &imports.model_types()));
        let handled: Vec<&str> = projection
            .handlers
            .iter()
            .map(|h| h.event.as_str())
            .collect();
        let ignored: Vec<String> = aggregate
            .map(|a| {
                a.events
                    .iter()
                    .map(|e| e.name.clone())
                    .filter(|e| !handled.contains(&e.as_str()))
                    .collect()
            })
            .unwrap_or_default();
        let handlers = projection
            .handlers
            .iter()
            .map(|handler| {
                let event_fields = aggregate
                    .and_then(|a| a.events.iter().find(|e| e.name == handler.event))
                    .map(|e| e.fields.as_slice())
                    .unwrap_or_default();
                HandlerView {
                    event: handler.event.clone(),
                    key_from: handler.key_from.clone(),
                    statements: change_statements(
                        &handler.changes,
                        "row",
                        &projection.fields,
                        event_fields,
                    ),
                    deletes: handler.changes.contains(&ChangeOp::Delete),
                }
            })
            .collect();
        let key_field = projection
            .fields
            .iter()
            .find(|f| f.name == projection.key)
            .expect("the key is a field");
        let mut event_names: Vec<String> = handled.iter().map(|e| (*e).to_owned()).collect();
        event_names.sort();
        let event_enum = format!("{aggregate_name}Event");
        let mut event_list = vec![event_enum.clone()];
        event_list.extend(event_names);
        event_list.extend(ignored.iter().cloned());
        event_list.sort();
        Self {
            projection,
            aggregate_module: snake(aggregate_name),
            event_uses: event_list,
            event_enum,
            uses,
            fields: projection
                .fields
                .iter()
                .map(|field| {
                    (
                        FieldView::plain(field),
                        projection.indexed.contains(&field.name),
                    )
                })
                .collect(),
            ignored,
            handlers,
            key_from_numeric_id: key_field.ty == Type::Int,
        }
    }
}

#[derive(Template)]
#[template(path = "src/projections/projection.rs")]
struct ProjectionRs<'a> {
    view: &'a ProjectionView<'a>,
}

#[derive(Template)]
#[template(path = "src/projections/mod.rs")]
struct ProjectionsRs {
    modules: Vec<(String, String)>,
}

impl ProjectionsRs {
    fn new(model: &Model) -> Self {
        Self {
            modules: model
                .projections
                .iter()
                .map(|p| (snake(&p.name), p.name.clone()))
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "src/lib.rs")]
struct LibRs<'a> {
    model: &'a Model,
    modules: Vec<String>,
    has_types: bool,
}

impl<'a> LibRs<'a> {
    fn new(model: &'a Model) -> Self {
        Self {
            model,
            modules: model.aggregates.iter().map(|a| snake(&a.name)).collect(),
            has_types: !model.enums.is_empty() || !model.values.is_empty(),
        }
    }
}

struct CommandRoute {
    route: String,
    handler: String,
    module: String,
    command: String,
    id_field: String,
    id_ty: String,
}

struct QueryRoute {
    route: String,
    handler: String,
    projection: String,
    module: String,
    field: String,
    field_ty: String,
    list: bool,
}

#[derive(Template)]
#[template(path = "src/api.rs")]
struct ApiRs {
    uses: Vec<String>,
    has_lists: bool,
    has_gets: bool,
    commands: Vec<CommandRoute>,
    queries: Vec<QueryRoute>,
}

impl ApiRs {
    fn new(model: &Model) -> Self {
        let mut imports = Imports::default();
        let mut commands = Vec::new();
        for aggregate in &model.aggregates {
            imports.add(&aggregate.id.ty);
            for command in &aggregate.commands {
                commands.push(CommandRoute {
                    route: format!(
                        "/{}/{{id}}/{}",
                        plural_kebab(&aggregate.name),
                        kebab(&command.name)
                    ),
                    handler: snake(&command.name),
                    module: snake(&aggregate.name),
                    command: command.name.clone(),
                    id_field: aggregate.id.name.clone(),
                    id_ty: rust_type(&aggregate.id.ty),
                });
            }
        }
        let queries: Vec<QueryRoute> = model
            .queries
            .iter()
            .map(|query| {
                let projection = model
                    .projections
                    .iter()
                    .find(|p| p.name == query.projection)
                    .expect("a projection");
                let (field, list) = match &query.kind {
                    QueryKind::Get { field } => (field, false),
                    QueryKind::List { field } => (field, true),
                };
                let ty = &projection
                    .fields
                    .iter()
                    .find(|f| &f.name == field)
                    .expect("a field")
                    .ty;
                imports.add(ty);
                QueryRoute {
                    route: format!("/{}/{{{field}}}", kebab(&query.name)),
                    handler: query.name.clone(),
                    projection: projection.name.clone(),
                    module: snake(&projection.name),
                    field: field.clone(),
                    field_ty: rust_type(ty),
                    list,
                }
            })
            .collect();
        let mut uses = imports.external_lines();
        uses.extend(use_line("crate::types", &imports.model_types()));
        let has_lists = queries.iter().any(|q: &QueryRoute| q.list);
        let has_gets = queries.iter().any(|q: &QueryRoute| !q.list);
        Self {
            uses,
            has_lists,
            has_gets,
            commands,
            queries,
        }
    }
}

/// A generated given/when/then test.
struct TestCase {
    name: String,
    given: Vec<String>,
    when: String,
    /// The expected events, or the guard message expected to refuse the command.
    expect_events: Vec<String>,
    refused_by: Option<String>,
}

#[derive(Template)]
#[template(path = "tests/aggregate.rs")]
struct AggregateTest {
    crate_name: String,
    module: String,
    aggregate: String,
    uses: Vec<String>,
    cases: Vec<TestCase>,
}

impl AggregateTest {
    fn new(model: &Model, aggregate: &Aggregate, crate_name: &str) -> Self {
        let mut imports = Imports::default();
        imports.add_example(model, &aggregate.id.ty);
        for field in aggregate.commands.iter().flat_map(|c| &c.fields) {
            imports.add_example(model, &field.ty);
        }
        let mut cases = Vec::new();
        for command in &aggregate.commands {
            let scenarios = succeeding(model, aggregate, command)
                .into_iter()
                .chain(refusals(model, aggregate, command));
            for scenario in scenarios {
                cases.push(test_case(model, aggregate, &scenario));
            }
        }
        let mut uses = imports.external_lines();
        uses.extend(use_line(
            &format!("{crate_name}::types"),
            &imports.model_types(),
        ));
        Self {
            crate_name: crate_name.to_owned(),
            module: snake(&aggregate.name),
            aggregate: aggregate.name.clone(),
            uses,
            cases,
        }
    }
}

/// The command with example values, and the events it records, as Rust expressions.
fn command_example(
    model: &Model,
    aggregate: &Aggregate,
    command: &Command,
) -> (String, Vec<String>) {
    let id = example(model, &aggregate.id);
    let mut fields = vec![format!("{}: {}", aggregate.id.name, id.rust)];
    fields.extend(
        command
            .fields
            .iter()
            .map(|field| format!("{}: {}", field.name, example(model, field).rust)),
    );
    let events = command
        .emits
        .iter()
        .map(|name| {
            let event = aggregate
                .events
                .iter()
                .find(|e| &e.name == name)
                .expect("a declared event");
            let fields: Vec<String> = event
                .fields
                .iter()
                .map(|field| {
                    let source = command
                        .fields
                        .iter()
                        .find(|f| f.name == field.name)
                        .unwrap_or(&aggregate.id);
                    let value = example(model, source).rust;
                    let wrap = matches!(field.ty, Type::Optional(_))
                        && !matches!(source.ty, Type::Optional(_));
                    if wrap {
                        format!("{}: Some({value})", field.name)
                    } else {
                        format!("{}: {value}", field.name)
                    }
                })
                .collect();
            if fields.is_empty() {
                format!("{name} {{}}")
            } else {
                format!("{name} {{ {} }}", fields.join(", "))
            }
        })
        .collect();
    (
        format!("{} {{ {} }}", command.name, fields.join(", ")),
        events,
    )
}

fn test_case(model: &Model, aggregate: &Aggregate, scenario: &Scenario<'_>) -> TestCase {
    let given = scenario
        .history
        .iter()
        .flat_map(|earlier| command_example(model, aggregate, earlier).1)
        .map(|event| format!("{event}.into()"))
        .collect();
    let (when, events) = command_example(model, aggregate, scenario.command);
    let command = snake(&scenario.command.name);
    let name = match scenario.refused_by {
        None => format!("{command}_records_{}", events_slug(&scenario.command.emits)),
        Some(_) => {
            let index = scenario
                .command
                .guards
                .iter()
                .position(|g| Some(g.message.as_str()) == scenario.refused_by)
                .unwrap_or_default();
            let guard = &scenario.command.guards[index];
            format!(
                "{command}_is_refused_unless_{}_{}",
                guard.field,
                condition_slug(&guard.condition)
            )
        }
    };
    TestCase {
        name,
        given,
        when,
        expect_events: events,
        refused_by: scenario.refused_by.map(str::to_owned),
    }
}

fn events_slug(events: &[String]) -> String {
    events
        .iter()
        .map(|e| snake(e))
        .collect::<Vec<_>>()
        .join("_and_")
}

fn condition_slug(condition: &crate::model::ir::Condition) -> &'static str {
    use crate::model::ir::Condition;
    match condition {
        Condition::Equals(_) => "matches",
        Condition::NotEquals(_) => "differs",
        Condition::OneOf(_) => "is_allowed",
        Condition::NotEmpty => "is_not_empty",
        Condition::AtLeast(_) => "is_enough",
        Condition::AtMost(_) => "is_within_limit",
    }
}

/// The first aggregate with a creating command drives the generated HTTP test.
#[derive(Template)]
#[template(path = "tests/http.rs")]
struct HttpTest {
    crate_name: String,
    create_route: Option<String>,
    create_body: String,
    bad_body: Option<(String, String)>,
    get_route: Option<String>,
}

impl HttpTest {
    fn new(model: &Model, crate_name: &str) -> Self {
        let creator = model
            .aggregates
            .iter()
            .find_map(|a| a.commands.iter().find(|c| c.creates).map(|c| (a, c)));
        let mut test = Self {
            crate_name: crate_name.to_owned(),
            create_route: None,
            create_body: String::new(),
            bad_body: None,
            get_route: None,
        };
        let Some((aggregate, command)) = creator else {
            return test;
        };
        let id_text = path_text(&example(model, &aggregate.id).json);
        test.create_route = Some(command_route(aggregate, command, &id_text));
        let body = example_body(model, command);
        test.create_body = body.to_string();
        // A body whose first field has the wrong JSON type must be refused, naming that field.
        if let (Some(first), serde_json::Value::Object(mut bad)) = (command.fields.first(), body) {
            let wrong = if matches!(example(model, first).json, serde_json::Value::Array(_)) {
                serde_json::json!(true)
            } else {
                serde_json::json!([])
            };
            bad.insert(first.name.clone(), wrong);
            test.bad_body = Some((
                serde_json::Value::Object(bad).to_string(),
                first.name.clone(),
            ));
        }
        test.get_route = model.queries.iter().find_map(|query| match &query.kind {
            QueryKind::Get { .. } => {
                let projection = model
                    .projections
                    .iter()
                    .find(|p| p.name == query.projection)?;
                let fed = projection.handlers.iter().any(|h| {
                    h.aggregate == aggregate.name
                        && h.key_from.is_none()
                        && command.emits.contains(&h.event)
                        && !h.changes.contains(&ChangeOp::Delete)
                });
                fed.then(|| format!("/{}/{id_text}", kebab(&query.name)))
            }
            QueryKind::List { .. } => None,
        });
        test
    }
}

/// Steps for the README: each command after the history that makes it succeed.
struct Walkthrough {
    steps: Vec<(String, String)>,
    reads: Vec<String>,
}

#[derive(Template)]
#[template(path = "README.md")]
struct Readme<'a> {
    model: &'a Model,
    env: String,
    walkthrough: Walkthrough,
    mermaid: String,
}

impl<'a> Readme<'a> {
    fn new(model: &'a Model) -> Self {
        Self {
            model,
            env: shouty(&model.service),
            walkthrough: walkthrough(model),
            mermaid: crate::graph::mermaid(model),
        }
    }
}

/// The longest command sequence of the first aggregate that the model's own rules accept (so
/// every step succeeds when run in order), then each query, with example values.
fn walkthrough(model: &Model) -> Walkthrough {
    let mut steps = Vec::new();
    let mut reads = Vec::new();
    if let Some(aggregate) = model.aggregates.first() {
        let id_text = path_text(&example(model, &aggregate.id).json);
        let longest = aggregate
            .commands
            .iter()
            .filter_map(|command| succeeding(model, aggregate, command))
            .max_by_key(|scenario| scenario.history.len());
        for command in longest
            .iter()
            .flat_map(|s| s.history.iter().copied().chain([s.command]))
        {
            steps.push((
                command_route(aggregate, command, &id_text),
                example_body(model, command).to_string(),
            ));
        }
        for query in &model.queries {
            let Some(projection) = model
                .projections
                .iter()
                .find(|p| p.name == query.projection)
            else {
                continue;
            };
            let field = match &query.kind {
                QueryKind::Get { field } | QueryKind::List { field } => field,
            };
            let Some(field) = projection.fields.iter().find(|f| &f.name == field) else {
                continue;
            };
            reads.push(format!(
                "/{}/{}",
                kebab(&query.name),
                path_text(&example(model, field).json)
            ));
        }
    }
    Walkthrough { steps, reads }
}

/// A JSON example as it appears in a URL path: strings bare, numbers as written.
fn path_text(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// `POST /<aggregates>/{id}/<command>`.
fn command_route(aggregate: &Aggregate, command: &Command, id_text: &str) -> String {
    format!(
        "/{}/{id_text}/{}",
        plural_kebab(&aggregate.name),
        kebab(&command.name)
    )
}

/// A JSON body for `command` with example values.
fn example_body(model: &Model, command: &Command) -> serde_json::Value {
    serde_json::Value::Object(
        command
            .fields
            .iter()
            .map(|f| (f.name.clone(), example(model, f).json))
            .collect(),
    )
}

/// Only what templates cannot say well themselves.
mod filters {
    /// The text as a Rust string literal.
    #[askama::filter_fn]
    pub fn rust_str(
        text: impl std::fmt::Display,
        _: &dyn askama::Values,
    ) -> askama::Result<String> {
        Ok(format!("{:?}", text.to_string()))
    }
}
