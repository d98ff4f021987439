//! The routes of queries beyond a plain get or list: a list through an index (`ListShape`),
//! a summary's groups, and the watch of each query.

use super::imports::Imports;
use super::layout;
use super::routes::{query_pattern, query_route};
use super::rust::rust_type;
use crate::model::ir::{Field, Order, Query, QueryKind, Term};

pub(super) struct Route {
    pub(super) route: String,
    pub(super) handler: String,
    /// The `async fn ...(...) -> ... {` line(s), laid out.
    pub(super) signature: String,
    pub(super) list: bool,
    /// The `ListShape` constant the handler reads through, laid out, for a find.
    pub(super) shape: Option<String>,
    /// The handler's first statement: the gate admits the caller, or answers 401 or 403.
    pub(super) admit: String,
    /// Whether it watches the query: it keeps the caller, whose token's expiry ends it.
    pub(super) watch: bool,
    /// The handler's body: one call into `eventwright::http` (after parsing the path's values,
    /// for a find), laid out.
    pub(super) call: String,
}

/// The names a find's handler gives its own variables, which a path value must not take.
const HANDLER_NAMES: [&str; 7] = [
    "app", "query", "headers", "equal", "http", "caller", "roles",
];

/// The variable holding the path's text for `field`.
fn path_variable(field: &Field) -> String {
    if HANDLER_NAMES.contains(&field.name.as_str()) {
        format!("{}_text", field.name)
    } else {
        field.name.clone()
    }
}

/// `const NAME: ListShape = ListShape { index: Index { .. }, descending, range };`, laid out.
pub(super) fn list_shape(
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
pub(super) fn find_route(
    constant: &str,
    projection: &str,
    equal: &[Term],
    state: String,
    page: String,
    imports: &mut Imports,
) -> (String, Vec<String>, String) {
    let values = PathValues::of(equal, imports);
    let mut params = vec![state];
    params.extend(values.param.clone());
    params.extend([
        "RawQuery(query): RawQuery".to_owned(),
        "headers: HeaderMap".to_owned(),
    ]);
    let args = [
        "&app.read_models".to_owned(),
        format!("&{constant}"),
        values.equal.clone(),
        "query.as_deref()".to_owned(),
        "&headers".to_owned(),
    ];
    let call = layout::call(
        &format!("http::find_rows::<{projection}>"),
        &args,
        4,
        ".await",
    );
    (format!("{}{call}", values.parse), params, page)
}

/// A find's path values, each parsed to its field's type into `equal`.
struct PathValues {
    /// The handler's `Path(..)` parameter, when the path has values.
    param: Option<String>,
    /// The statement building `equal` (and the line break after it), when there is one.
    parse: String,
    /// What the call is given as `equal`.
    equal: String,
}

impl PathValues {
    fn of(equal: &[Term], imports: &mut Imports) -> Self {
        let equal: Vec<&Field> = equal.iter().map(|term| &term.param).collect();
        let variables: Vec<String> = equal.iter().copied().map(path_variable).collect();
        let param = match variables.as_slice() {
            [] => None,
            [one] => Some(format!("Path({one}): Path<String>")),
            several => Some(format!(
                "Path(({})): Path<({})>",
                several.join(", "),
                vec!["String"; several.len()].join(", ")
            )),
        };
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
        let (equal, parse) = match calls.as_slice() {
            [] => ("Vec::new()".to_owned(), String::new()),
            // One call past the array width (60) or the line overflows into the `vec![...]`,
            // as rustfmt writes it.
            [(callee, args)]
                if values[0].len() > 60
                    || 4 + "let equal = vec![];".len() + values[0].len() > 100 =>
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
        Self {
            param,
            parse,
            equal,
        }
    }
}

/// The route watching what `query` finds (`/<query>/.../watch`), as Server-Sent Events; none
/// for a count. A find's watch reads through the `ListShape` constant its list declares.
pub(super) fn watch_route(query: &Query, state: &str, imports: &mut Imports) -> Option<Route> {
    let projection = &query.projection.name;
    let state = state.to_owned();
    let tail = [
        "RawQuery(query): RawQuery".to_owned(),
        "headers: HeaderMap".to_owned(),
    ];
    let read_models = "&app.read_models".to_owned();
    let asked = ["query.as_deref()".to_owned(), "&headers".to_owned()];
    let (params, parse, callee, args): (Vec<String>, String, String, Vec<String>) =
        match &query.kind {
            QueryKind::Count { .. } => return None,
            QueryKind::Get { field } | QueryKind::List { field } => {
                let (variable, helper) = match &query.kind {
                    QueryKind::Get { .. } => ("key", "watch_row"),
                    _ => ("value", "watch_list"),
                };
                let params = vec![state, format!("Path({variable}): Path<String>")];
                let callee = format!("http::{helper}::<{projection}, {}>", rust_type(&field.ty));
                let args = vec![format!("{:?}", field.name), format!("&{variable}")];
                (params, String::new(), callee, args)
            }
            QueryKind::ListAll => (
                vec![state],
                String::new(),
                format!("http::watch_all::<{projection}>"),
                Vec::new(),
            ),
            QueryKind::Find { equal, .. } => {
                let values = PathValues::of(equal, imports);
                let mut params = vec![state];
                params.extend(values.param);
                let args = vec![format!("&{}", query.name.to_uppercase()), values.equal];
                (
                    params,
                    values.parse,
                    format!("http::watch_found::<{projection}>"),
                    args,
                )
            }
        };
    let params: Vec<String> = params.into_iter().chain(tail).collect();
    // The caller too: the watch ends when their token expires.
    let args: Vec<String> = [read_models, "&caller".to_owned()]
        .into_iter()
        .chain(args)
        .chain(asked)
        .collect();
    let handler = format!("{}_watch", query.name);
    Some(Route {
        route: query_pattern(query, &["watch"]),
        signature: layout::signature(
            &format!("async fn {handler}"),
            &params,
            "Result<Response, ApiError>",
            0,
        ),
        handler,
        list: false,
        shape: None,
        admit: String::new(),
        watch: true,
        call: format!("{parse}{}", layout::call(&callee, &args, 4, ".await")),
    })
}

/// A count query's routes: every group a page at a time (`/<query>`), and one group
/// (`/<query>/{by}`), both reading the `Summary` constant the first declares.
pub(super) fn count_routes(
    query: &Query,
    by: &Field,
    sums: &[Field],
    state: &str,
    imports: &mut Imports,
) -> Vec<Route> {
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
    let state = state.to_owned();
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
            admit: String::new(),
            watch: false,
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
            admit: String::new(),
            watch: false,
            call: layout::call(
                &format!("http::get_group::<{projection}, {}>", rust_type(&by.ty)),
                &group_args,
                4,
                ".await",
            ),
        },
    ]
}
