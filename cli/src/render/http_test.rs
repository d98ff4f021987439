//! `tests/http.rs`: the generated project's HTTP test, which creates an aggregate, sends a body
//! the service must refuse, and reads the row the creation fed.

use askama::Template;
use serde_json::Value;

use super::examples::{example, example_body};
use super::filters;
use super::layout;
use super::names::snake;
use super::routes::{command_route, path_text, query_route};
use crate::model::ir::{ChangeOp, Model, QueryKind, RowKey};

/// The first aggregate with a creating command drives the generated HTTP test.
#[derive(Template)]
#[template(path = "tests/http.rs")]
pub struct HttpTest {
    crate_name: String,
    /// `const` lines for the routes and bodies the test sends.
    consts: Vec<String>,
    creates: bool,
    bad_field: Option<String>,
    reads: bool,
    /// The roles the creating command asks for.
    roles: Vec<String>,
}

/// `tests/http.rs` of a service serving several tenants: the same requests, each with a token
/// naming its tenant, and what one tenant does never seen by another.
#[derive(Template)]
#[template(path = "tests/http_tenants.rs")]
pub struct TenantsHttpTest {
    pub test: HttpTest,
}

impl HttpTest {
    pub fn new(model: &Model, crate_name: &str) -> Self {
        let mut test = Self {
            crate_name: crate_name.to_owned(),
            consts: Vec::new(),
            creates: false,
            bad_field: None,
            reads: false,
            roles: Vec::new(),
        };
        let creator = model
            .aggregates
            .iter()
            .find_map(|a| a.commands.iter().find(|c| c.creates).map(|c| (a, c)));
        let Some((aggregate, command)) = creator else {
            return test;
        };
        let id_text = path_text(&example(&aggregate.id).json);
        test.creates = true;
        test.roles.clone_from(&command.roles);
        test.consts
            .push("const HOUR: Duration = Duration::from_secs(3600);".to_owned());
        test.consts.push(layout::str_const(
            "AGGREGATE",
            &format!(
                "<{}::{}::{} as eventwright::Aggregate>::TYPE",
                crate_name,
                snake(&aggregate.name),
                aggregate.name
            ),
        ));
        test.consts
            .push(layout::str_const("ID", &format!("{id_text:?}")));
        let body = example_body(command);
        test.consts.push(layout::str_const(
            "CREATE",
            &format!("{:?}", command_route(aggregate, command, &id_text)),
        ));
        test.consts.push(layout::str_const(
            "CREATE_BODY",
            &format!("{:?}", body.to_string()),
        ));
        // A body whose first field has the wrong JSON type must be refused, naming that field.
        if let (Some(first), Value::Object(mut bad)) = (command.fields.first(), body) {
            let wrong = if matches!(example(first).json, Value::Array(_)) {
                Value::Bool(true)
            } else {
                Value::Array(Vec::new())
            };
            bad.insert(first.name.clone(), wrong);
            test.consts.push(layout::str_const(
                "BAD_BODY",
                &format!("{:?}", Value::Object(bad).to_string()),
            ));
            test.bad_field = Some(first.name.clone());
        }
        let read = model.queries.iter().find_map(|query| match &query.kind {
            QueryKind::Get { .. } => {
                let fed = query.projection.handlers.iter().any(|h| {
                    h.aggregate == aggregate.name
                        && h.key == RowKey::AggregateId
                        && command
                            .emits
                            .iter()
                            .any(|emit| emit.event.name == h.event.name)
                        && !h.changes.contains(&ChangeOp::Delete)
                });
                fed.then(|| {
                    let route = query_route(query, std::slice::from_ref(&id_text));
                    (route, &query.roles)
                })
            }
            QueryKind::List { .. }
            | QueryKind::Find { .. }
            | QueryKind::ListAll
            | QueryKind::Count { .. } => None,
        });
        // Serving tenants, every request carries a token: one that may read what it created.
        let mut roles = command.roles.clone();
        if let Some((read, read_roles)) = read {
            test.consts
                .push(layout::str_const("READ", &format!("{read:?}")));
            test.reads = true;
            if model.tenancy.is_some() {
                roles.extend(
                    read_roles
                        .iter()
                        .filter(|r| !command.roles.contains(r))
                        .cloned(),
                );
            }
        }
        let roles: Vec<String> = roles.iter().map(|r| format!("{r:?}")).collect();
        let head = "const ROLES: &[&str] = ";
        let roles = layout::lone_item(&roles, head.len())
            .unwrap_or_else(|| layout::array("&[", &roles, 0, head.len()));
        test.consts.insert(0, format!("{head}{roles};"));
        test
    }
}
