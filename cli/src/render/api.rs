//! The HTTP routes: one POST per command, one GET per query.

use askama::Template;

use super::imports::{Imports, use_line};
use super::layout;
use super::names::{shouty, snake};
use super::query_routes::{Route, count_routes, find_route, list_shape, watch_route};
use super::routes::{command_route, query_pattern};
use super::rust::rust_type;
use crate::model::ir::{Model, QueryKind};

#[derive(Template)]
#[template(path = "src/api.rs")]
pub struct ApiRs {
    uses: Vec<String>,
    crate_uses: Vec<String>,
    has_lists: bool,
    /// Whether a route reads the query string: every list, and every watch.
    has_raw_query: bool,
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
    /// The `roles` module's constants, one per route that names roles.
    roles: Vec<String>,
    /// Whether the routes serve several tenants, each request its token's.
    tenancy: bool,
}

impl ApiRs {
    pub fn new(model: &Model) -> Self {
        let tenancy = model.tenancy.is_some();
        let state = if tenancy {
            "State(tenants): State<Tenants>"
        } else {
            "State(app): State<App>"
        };
        let mut imports = Imports::default();
        let mut crate_uses = Vec::new();
        // `pub const <ROUTE>: &[&str] = &[...];`, in the `roles` module, per route that names roles.
        let mut roles = Vec::new();
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
                    "&caller".to_owned(),
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
                            state.to_owned(),
                            "Path(id): Path<String>".to_owned(),
                            "headers: HeaderMap".to_owned(),
                            "body: Bytes".to_owned(),
                        ],
                        "Result<Json<Accepted>, ApiError>",
                        0,
                    ),
                    admit: admit(&asked(&mut roles, &handler, &command.roles), true, tenancy),
                    watch: false,
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
                let asked = asked(&mut roles, &query.name, &query.roles);
                // A watch keeps its caller: their token's expiry ends it.
                let admits = (admit(&asked, false, tenancy), admit(&asked, true, tenancy));
                let projection = &query.projection;
                projections.push(projection);
                let page = format!("Result<Json<Page<{}>>, ApiError>", projection.name);
                let state_param = state.to_owned();
                let mut shape = None;
                let (call, params, response) = match &query.kind {
                    QueryKind::Count { by, sums } => {
                        let routes = count_routes(query, by, sums, state, &mut imports);
                        return guarded(routes, &admits);
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
                                state_param,
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
                            state_param,
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
                                state_param,
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
                                state_param,
                                "Path(key): Path<String>".to_owned(),
                                "headers: HeaderMap".to_owned(),
                            ],
                            format!("Result<Json<{}>, ApiError>", projection.name),
                        )
                    }
                };
                let read = Route {
                    route: query_pattern(query, &[]),
                    signature: layout::signature(
                        &format!("async fn {}", query.name),
                        &params,
                        &response,
                        0,
                    ),
                    handler: query.name.clone(),
                    list: query.kind.is_list(),
                    shape,
                    admit: String::new(),
                    watch: false,
                    call,
                };
                let routes = std::iter::once(read)
                    .chain(watch_route(query, state, &mut imports))
                    .collect();
                guarded(routes, &admits)
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
        crate_uses.push(
            if tenancy {
                "use crate::Tenants;"
            } else {
                "use crate::App;"
            }
            .to_owned(),
        );
        crate_uses.extend(use_line("crate::types", &imports.model_types()));
        crate_uses.sort();
        let with_state = if tenancy {
            ".with_state(tenants)"
        } else {
            ".with_state(app)"
        }
        .to_owned();
        let command_routes: Vec<String> = commands
            .iter()
            .map(|r| route(&r.route, &format!("post({})", r.handler)))
            .chain([with_state.clone()])
            .collect();
        let query_routes: Vec<String> = queries
            .iter()
            .map(|r| route(&r.route, &format!("get({})", r.handler)))
            .chain([with_state])
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
            has_raw_query: !queries.is_empty(),
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
            roles,
            tenancy,
        }
    }
}

/// `.route("/path", post(handler))` in the router's chain, its arguments on lines of their own
/// when rustfmt would put them there.
fn route(path: &str, method: &str) -> String {
    layout::call(".route", &[format!("{path:?}"), method.to_owned()], 8, "")
}

/// What a route asks of its caller's roles: `&[]`, or `roles::<ROUTE>`, declared in `consts`.
fn asked(consts: &mut Vec<String>, route: &str, roles: &[String]) -> String {
    if roles.is_empty() {
        return "&[]".to_owned();
    }
    let name = shouty(route);
    let head = format!("    pub const {name}: &[&str] = ");
    let names: Vec<String> = roles.iter().map(|role| format!("{role:?}")).collect();
    let value = layout::lone_item(&names, head.len())
        .unwrap_or_else(|| layout::array("&[", &names, 4, head.len() - 4));
    consts.push(format!("{head}{value};"));
    format!("roles::{name}")
}

/// The handler's first statement: `app.gate.admit(&headers, ROLES).await?;` (binding the
/// caller, for a command or a watch), or, serving several tenants, `tenants.admit(..)`, which
/// binds the caller's tenant's `app` too; as rustfmt lays it out.
fn admit(asked: &str, bind: bool, tenancy: bool) -> String {
    let (binding, receiver) = match (tenancy, bind) {
        (true, true) => ("let (caller, app) = ", "tenants"),
        (true, false) => ("let (_, app) = ", "tenants"),
        (false, true) => ("let caller = ", "app.gate"),
        (false, false) => ("", "app.gate"),
    };
    let chain = format!("{receiver}.admit(&headers, {asked}).await?");
    // rustfmt keeps a chain on one line up to its chain width, 60.
    if chain.len() <= 60 && 4 + binding.len() + chain.len() < 100 {
        format!("{binding}{chain};")
    } else {
        let receiver = receiver.replace('.', "\n        .");
        format!("{binding}{receiver}\n        .admit(&headers, {asked})\n        .await?;")
    }
}

/// The routes of one query, each admitting its caller with `admits`: a read's, a watch's.
fn guarded(mut routes: Vec<Route>, admits: &(String, String)) -> Vec<Route> {
    for route in &mut routes {
        route.admit = if route.watch {
            admits.1.clone()
        } else {
            admits.0.clone()
        };
    }
    routes
}
