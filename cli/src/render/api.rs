//! The HTTP routes: one POST per command, one GET per query.

use askama::Template;

use super::imports::{Imports, use_line};
use super::layout;
use super::names::snake;
use super::routes::{command_route, query_route};
use super::rust::rust_type;
use crate::model::ir::{Field, Model, Order, Query, QueryKind, Term};

struct Route {
    route: String,
    handler: String,
    /// The `async fn ...(...) -> ... {` line(s), laid out.
    signature: String,
    list: bool,
    /// The `ListShape` constant the handler reads through, laid out, for a find.
    shape: Option<String>,
    /// The handler's body: one call into `eventwright::http` (after parsing the path's values,
    /// for a find), laid out.
    call: String,
}

#[derive(Template)]
#[template(path = "src/api.rs")]
pub struct ApiRs {
    uses: Vec<String>,
    crate_uses: Vec<String>,
    has_lists: bool,
    /// Whether a list reads through a `ListShape`.
    has_finds: bool,
    /// Whether a query counts rows per group.
    has_counts: bool,
    /// `use axum::routing::...;` for the methods in use.
    routing_use: String,
    /// `Router::new()` and the command routes, laid out.
    command_router: String,
    /// `Router::new()` and the query routes, laid out.
    query_router: String,
    commands: Vec<Route>,
    queries: Vec<Route>,
}

impl ApiRs {
    pub fn new(model: &Model) -> Self {
        let mut imports = Imports::default();
        let mut crate_uses = Vec::new();
        let mut commands = Vec::new();
        for aggregate in &model.aggregates {
            let mut names: Vec<String> =
                aggregate.commands.iter().map(|c| c.name.clone()).collect();
            if aggregate.commands.iter().any(|c| c.is_decision()) {
                names.push(aggregate.name.clone());
                names.sort();
            }
            crate_uses.extend(use_line(
                &format!("crate::{}", snake(&aggregate.name)),
                &names,
            ));
            for command in &aggregate.commands {
                let args = [
                    "&app.dispatcher".to_owned(),
                    format!("{:?}", aggregate.id.name),
                    "&id".to_owned(),
                    "&headers".to_owned(),
                    "&body".to_owned(),
                ];
                let handler = snake(&command.name);
                commands.push(Route {
                    route: command_route(aggregate, command, "{id}"),
                    signature: layout::signature(
                        &format!("async fn {handler}"),
                        &[
                            "State(app): State<App>".to_owned(),
                            "Path(id): Path<String>".to_owned(),
                            "headers: HeaderMap".to_owned(),
                            "body: Bytes".to_owned(),
                        ],
                        "Result<Json<Accepted>, ApiError>",
                        0,
                    ),
                    handler,
                    list: false,
                    shape: None,
                    call: layout::call(
                        &if command.is_decision() {
                            format!("http::run_decision::<{}, {}>", aggregate.name, command.name)
                        } else {
                            format!("http::run_command::<{}>", command.name)
                        },
                        &args,
                        4,
                        ".await",
                    ),
                });
            }
        }
        let mut projections = Vec::new();
        let queries: Vec<Route> = model
            .queries
            .iter()
            .flat_map(|query| {
                let projection = &query.projection;
                projections.push(projection);
                let page = format!("Result<Json<Page<{}>>, ApiError>", projection.name);
                let state = "State(app): State<App>".to_owned();
                let mut shape = None;
                let (call, params, response) = match &query.kind {
                    QueryKind::Count { by, sums } => {
                        return count_routes(query, by, sums, &mut imports);
                    }
                    QueryKind::ListAll => {
                        let args = [
                            "&app.read_models".to_owned(),
                            "query.as_deref()".to_owned(),
                            "&headers".to_owned(),
                        ];
                        let callee = format!("http::list_all_rows::<{}>", projection.name);
                        (
                            layout::call(&callee, &args, 4, ".await"),
                            vec![
                                state,
                                "RawQuery(query): RawQuery".to_owned(),
                                "headers: HeaderMap".to_owned(),
                            ],
                            page,
                        )
                    }
                    QueryKind::Find {
                        equal,
                        order,
                        range,
                    } => {
                        let constant = query.name.to_uppercase();
                        shape = Some(list_shape(
                            &constant,
                            equal,
                            order.as_ref(),
                            *range,
                            &mut imports,
                        ));
                        find_route(
                            &constant,
                            &projection.name,
                            equal,
                            state,
                            page,
                            &mut imports,
                        )
                    }
                    QueryKind::List { field } => {
                        imports.add(&field.ty);
                        let types = format!("{}, {}", projection.name, rust_type(&field.ty));
                        let args = [
                            "&app.read_models".to_owned(),
                            format!("{:?}", field.name),
                            "&value".to_owned(),
                            "query.as_deref()".to_owned(),
                            "&headers".to_owned(),
                        ];
                        let callee = format!("http::list_rows::<{types}>");
                        (
                            layout::call(&callee, &args, 4, ".await"),
                            vec![
                                state,
                                "Path(value): Path<String>".to_owned(),
                                "RawQuery(query): RawQuery".to_owned(),
                                "headers: HeaderMap".to_owned(),
                            ],
                            page,
                        )
                    }
                    QueryKind::Get { field } => {
                        imports.add(&field.ty);
                        let types = format!("{}, {}", projection.name, rust_type(&field.ty));
                        let args = [
                            "&app.read_models".to_owned(),
                            format!("{:?}", field.name),
                            "&key".to_owned(),
                            "&headers".to_owned(),
                        ];
                        (
                            layout::call(&format!("http::get_row::<{types}>"), &args, 4, ".await"),
                            vec![
                                state,
                                "Path(key): Path<String>".to_owned(),
                                "headers: HeaderMap".to_owned(),
                            ],
                            format!("Result<Json<{}>, ApiError>", projection.name),
                        )
                    }
                };
                let segments: Vec<String> = query
                    .kind
                    .path_fields()
                    .iter()
                    .map(|field| format!("{{{}}}", field.name))
                    .collect();
                vec![Route {
                    route: query_route(query, &segments),
                    signature: layout::signature(
                        &format!("async fn {}", query.name),
                        &params,
                        &response,
                        0,
                    ),
                    handler: query.name.clone(),
                    list: query.kind.is_list(),
                    shape,
                    call,
                }]
            })
            .collect();
        projections.sort_by(|a, b| a.name.cmp(&b.name));
        projections.dedup_by(|a, b| a.name == b.name);
        for projection in projections {
            crate_uses.extend(use_line(
                &format!("crate::projections::{}", snake(&projection.name)),
                std::slice::from_ref(&projection.name),
            ));
        }
        crate_uses.push("use crate::App;".to_owned());
        crate_uses.extend(use_line("crate::types", &imports.model_types()));
        crate_uses.sort();
        let command_routes: Vec<String> = commands
            .iter()
            .map(|r| route(&r.route, &format!("post({})", r.handler)))
            .chain([".with_state(app)".to_owned()])
            .collect();
        let query_routes: Vec<String> = queries
            .iter()
            .map(|r| route(&r.route, &format!("get({})", r.handler)))
            .chain([".with_state(app)".to_owned()])
            .collect();
        // `get` serves the operations routes, whatever the model.
        let mut methods = vec!["get".to_owned()];
        if !commands.is_empty() {
            methods.push("post".to_owned());
        }
        Self {
            uses: imports.external_lines(),
            crate_uses,
            has_lists: queries.iter().any(|q| q.list),
            has_finds: model
                .queries
                .iter()
                .any(|q| matches!(q.kind, QueryKind::Find { .. })),
            has_counts: model
                .queries
                .iter()
                .any(|q| matches!(q.kind, QueryKind::Count { .. })),
            routing_use: use_line("axum::routing", &methods).unwrap_or_default(),
            command_router: layout::chain("Router::new()", &command_routes, 4, ""),
            query_router: layout::chain("Router::new()", &query_routes, 4, ""),
            commands,
            queries,
        }
    }
}

/// `.route("/path", post(handler))` in the router's chain, its arguments on lines of their own
/// when rustfmt would put them there.
fn route(path: &str, method: &str) -> String {
    layout::call(".route", &[format!("{path:?}"), method.to_owned()], 8, "")
}

/// The names a find's handler gives its own variables, which a path value must not take.
const HANDLER_NAMES: [&str; 5] = ["app", "query", "headers", "equal", "http"];

/// The variable holding the path's text for `field`.
fn path_variable(field: &Field) -> String {
    if HANDLER_NAMES.contains(&field.name.as_str()) {
        format!("{}_text", field.name)
    } else {
        field.name.clone()
    }
}

/// `const NAME: ListShape = ListShape { index: Index { .. }, descending, range };`, laid out.
fn list_shape(
    constant: &str,
    equal: &[Term],
    order: Option<&Order>,
    range: bool,
    imports: &mut Imports,
) -> String {
    let names: Vec<String> = equal.iter().map(|t| format!("{:?}", t.text)).collect();
    let index = layout::struct_literal(
        "Index",
        &[
            (
                "equal".to_owned(),
                layout::array("&[", &names, 8, "equal: ".len()),
            ),
            (
                "order".to_owned(),
                order.map_or("None".to_owned(), |o| format!("Some({:?})", o.field.name)),
            ),
        ],
        4,
        "index: ".len(),
    );
    let parse = match order.filter(|_| range) {
        Some(order) => {
            imports.add(&order.field.ty);
            format!("Some(http::param_value::<{}>)", rust_type(&order.field.ty))
        }
        None => "None".to_owned(),
    };
    let descending = order.is_some_and(|o| o.descending).to_string();
    let head = format!("const {constant}: ListShape = ");
    let literal = layout::struct_literal(
        "ListShape",
        &[
            ("index".to_owned(), index),
            ("descending".to_owned(), descending),
            ("range".to_owned(), parse),
        ],
        0,
        head.len(),
    );
    format!("{head}{literal};")
}

/// A find's handler: the path's values parsed each to its field's type, then one call.
fn find_route(
    constant: &str,
    projection: &str,
    equal: &[Term],
    state: String,
    page: String,
    imports: &mut Imports,
) -> (String, Vec<String>, String) {
    let equal: Vec<&Field> = equal.iter().map(|term| &term.param).collect();
    let variables: Vec<String> = equal.iter().copied().map(path_variable).collect();
    let mut params = vec![state];
    match variables.as_slice() {
        [] => {}
        [one] => params.push(format!("Path({one}): Path<String>")),
        several => params.push(format!(
            "Path(({})): Path<({})>",
            several.join(", "),
            vec!["String"; several.len()].join(", ")
        )),
    }
    params.extend([
        "RawQuery(query): RawQuery".to_owned(),
        "headers: HeaderMap".to_owned(),
    ]);
    let calls: Vec<(String, [String; 2])> = equal
        .iter()
        .zip(&variables)
        .map(|(field, variable)| {
            imports.add(&field.ty);
            let callee = format!("http::param_value::<{}>", rust_type(&field.ty));
            (
                callee,
                [format!("{:?}", field.name), format!("&{variable}")],
            )
        })
        .collect();
    let values: Vec<String> = calls
        .iter()
        .map(|(callee, args)| format!("{callee}({})?", args.join(", ")))
        .collect();
    let (equal_arg, parse) = match calls.as_slice() {
        [] => ("Vec::new()".to_owned(), String::new()),
        // One call past the array width (60) or the line overflows into the `vec![...]`, as
        // rustfmt writes it.
        [(callee, args)]
            if values[0].len() > 60 || 4 + "let equal = vec![];".len() + values[0].len() > 100 =>
        {
            let args: String = args.iter().map(|arg| format!("\n        {arg},")).collect();
            let call = format!("{callee}({args}\n    )?");
            (
                "equal".to_owned(),
                format!("let equal = vec![{call}];\n    "),
            )
        }
        _ => {
            let list = layout::array("vec![", &values, 4, "let equal = ".len());
            ("equal".to_owned(), format!("let equal = {list};\n    "))
        }
    };
    let args = [
        "&app.read_models".to_owned(),
        format!("&{constant}"),
        equal_arg,
        "query.as_deref()".to_owned(),
        "&headers".to_owned(),
    ];
    let call = layout::call(
        &format!("http::find_rows::<{projection}>"),
        &args,
        4,
        ".await",
    );
    (format!("{parse}{call}"), params, page)
}

/// A count query's routes: every group a page at a time (`/<query>`), and one group
/// (`/<query>/{by}`), both reading the `Summary` constant the first declares.
fn count_routes(query: &Query, by: &Field, sums: &[Field], imports: &mut Imports) -> Vec<Route> {
    imports.add(&by.ty);
    let constant = query.name.to_uppercase();
    let projection = &query.projection.name;
    let names: Vec<String> = sums.iter().map(|f| format!("{:?}", f.name)).collect();
    let head = format!("const {constant}: Summary = ");
    let literal = layout::struct_literal(
        "Summary",
        &[
            ("by".to_owned(), format!("{:?}", by.name)),
            (
                "sums".to_owned(),
                layout::array("&[", &names, 4, "sums: ".len()),
            ),
        ],
        0,
        head.len(),
    );
    let state = "State(app): State<App>".to_owned();
    let headers = "headers: HeaderMap".to_owned();
    let list_args = [
        "&app.read_models".to_owned(),
        format!("&{constant}"),
        "query.as_deref()".to_owned(),
        "&headers".to_owned(),
    ];
    let variable = path_variable(by);
    let group_args = [
        "&app.read_models".to_owned(),
        format!("&{constant}"),
        format!("&{variable}"),
        "&headers".to_owned(),
    ];
    let one = format!("{}_group", query.name);
    vec![
        Route {
            route: query_route(query, &[]),
            handler: query.name.clone(),
            signature: layout::signature(
                &format!("async fn {}", query.name),
                &[
                    state.clone(),
                    "RawQuery(query): RawQuery".to_owned(),
                    headers.clone(),
                ],
                "Result<Json<Page<Row>>, ApiError>",
                0,
            ),
            list: true,
            shape: Some(format!("{head}{literal};")),
            call: layout::call(
                &format!("http::list_groups::<{projection}>"),
                &list_args,
                4,
                ".await",
            ),
        },
        Route {
            route: query_route(query, &[format!("{{{}}}", by.name)]),
            signature: layout::signature(
                &format!("async fn {one}"),
                &[state, format!("Path({variable}): Path<String>"), headers],
                "Result<Json<Row>, ApiError>",
                0,
            ),
            handler: one,
            list: false,
            shape: None,
            call: layout::call(
                &format!("http::get_group::<{projection}, {}>", rust_type(&by.ty)),
                &group_args,
                4,
                ".await",
            ),
        },
    ]
}
