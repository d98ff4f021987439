//! The project's `README.md`: how to run, test and try the service on its stack.

use askama::Template;

use super::compose::{self, Servers, local_url};
use super::lib_rs::tenant_stores;
use super::migrations::migrations;
use super::names::shouty;
use super::personal::Personal;
use super::routes::{command_route, query_pattern};
use super::walkthrough::{Walkthrough, walkthrough};
use crate::model::ir::{Model, Tenancy};

#[derive(Template)]
#[template(path = "README.md")]
pub(super) struct Readme<'a> {
    model: &'a Model,
    env: String,
    servers: Servers,
    /// The default URL of the PostgreSQL sides, and which settings default to it.
    url: String,
    defaults: &'static str,
    /// Each SQL file, and what it creates.
    migrations: Vec<(String, String)>,
    /// The servers `docker-compose.yml` runs, in words.
    server_names: String,
    /// `cargo test`, with the variables naming the servers it needs.
    test_command: String,
    keyspace: String,
    cassandra_url: String,
    /// Each CQL file, and what it creates.
    cassandra_migrations: Vec<(String, String)>,
    walkthrough: Walkthrough,
    mermaid: String,
    /// Each workflow's line: what it is, and what it does.
    workflows: Vec<String>,
    /// Each route that asks for roles, and the roles, in words.
    roles: Vec<(String, String)>,
    /// Each event's personal fields and whom they are about, in words, when there are any.
    personal: Vec<String>,
    /// The read models copying personal fields, as `projections rebuild` names them.
    personal_projections: Vec<String>,
    /// The claim naming a caller's tenant, when the service serves several.
    tenancy: Option<&'a Tenancy>,
    /// Where each tenant's stores are, in words.
    tenant_stores: String,
    /// Every role the model names: what the README's example token holds.
    all_roles: Vec<String>,
    /// ` -H "authorization: Bearer $TOKEN"` in the curl examples, when they need a token.
    bearer: &'static str,
}

impl<'a> Readme<'a> {
    pub(super) fn new(model: &'a Model) -> Result<Self, askama::Error> {
        let servers = Servers::of(model);
        let env = shouty(&model.service);
        let mut names = Vec::new();
        let mut test_env = Vec::new();
        if servers.postgres() {
            names.push("PostgreSQL");
            test_env.push(format!("{env}_TEST_POSTGRES_URL={}", local_url(model)));
        }
        if servers.cassandra {
            names.push("Cassandra");
            test_env.push(format!("{env}_TEST_CASSANDRA_NODES=127.0.0.1:9042"));
        }
        if servers.kafka {
            names.push("Kafka");
        }
        let server_names = match names.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        let test_command = if test_env.is_empty() {
            "cargo test                    # the service's own tests".to_owned()
        } else {
            format!("{} cargo test", test_env.join(" "))
        };
        let (cassandra_migrations, migrations): (Vec<_>, Vec<_>) = migrations(model)?
            .into_iter()
            .map(|migration| (migration.path, migration.what))
            .partition(|(path, _)| path.starts_with("migrations/cassandra/"));
        Ok(Self {
            model,
            env,
            servers,
            url: local_url(model),
            defaults: servers.defaults(),
            migrations,
            server_names,
            test_command,
            keyspace: compose::keyspace(model),
            cassandra_url: compose::cassandra_url(model),
            cassandra_migrations,
            walkthrough: walkthrough(model),
            mermaid: crate::graph::mermaid(model),
            workflows: model.workflows.iter().map(workflow_line).collect(),
            roles: role_lines(model),
            personal: personal_lines(model),
            personal_projections: Personal::of(model)
                .map(|personal| personal.projections)
                .unwrap_or_default(),
            tenancy: model.tenancy.as_ref(),
            tenant_stores: tenant_stores(model),
            all_roles: all_roles(model),
            bearer: if model.tenancy.is_some() {
                " -H \"authorization: Bearer $TOKEN\""
            } else {
                ""
            },
        })
    }
}

/// Every role a command or a query names, once each, in the order first named.
fn all_roles(model: &Model) -> Vec<String> {
    let commands = model.aggregates.iter().flat_map(|a| &a.commands);
    let named = commands
        .flat_map(|command| &command.roles)
        .chain(model.queries.iter().flat_map(|query| &query.roles));
    let mut roles: Vec<String> = Vec::new();
    for role in named {
        if !roles.contains(role) {
            roles.push(role.clone());
        }
    }
    roles
}

/// `POST /books/{id}/lend-book` and `librarian`, for each command and query that names roles
/// (a query's watch asks for the same).
fn role_lines(model: &Model) -> Vec<(String, String)> {
    let words = |roles: &[String]| {
        let roles: Vec<String> = roles.iter().map(|role| format!("`{role}`")).collect();
        roles.join(", ")
    };
    let commands = model.aggregates.iter().flat_map(|aggregate| {
        aggregate
            .commands
            .iter()
            .filter(|command| !command.roles.is_empty())
            .map(move |command| {
                let route = command_route(aggregate, command, "{id}");
                (format!("`POST {route}`"), words(&command.roles))
            })
    });
    let queries = model
        .queries
        .iter()
        .filter(|query| !query.roles.is_empty())
        .map(|query| {
            let route = query_pattern(query, &[]);
            (format!("`GET {route}`"), words(&query.roles))
        });
    commands.chain(queries).collect()
}

/// "`PatientRegistered`: `name`, about its `Patient`", for each event with personal fields.
fn personal_lines(model: &Model) -> Vec<String> {
    let events = model.aggregates.iter().flat_map(|aggregate| {
        aggregate.events.iter().filter_map(move |event| {
            let personal = event.personal.as_ref()?;
            let fields: Vec<String> = personal.fields.iter().map(|f| format!("`{f}`")).collect();
            let whom = match &personal.id {
                None => format!("about its `{}`", aggregate.name),
                Some(id) => format!("about the `{}` in `{id}`", personal.about),
            };
            Some(format!("`{}`: {}, {whom}", event.name, fields.join(", ")))
        })
    });
    events.collect()
}

/// `**Name** (policy, `name`): what it is for. On `Event`, sends `Command`; ...`
fn workflow_line(workflow: &crate::model::ir::Workflow) -> String {
    let kind = if workflow.process.is_some() {
        "process manager"
    } else {
        "policy"
    };
    let mut line = format!(
        "**{}** ({kind}, `{}`)",
        workflow.name,
        super::names::kebab(&workflow.name)
    );
    if let Some(description) = &workflow.description {
        line.push_str(": ");
        line.push_str(description.trim());
    }
    let commands = |reaction: &crate::model::ir::Reaction| -> Vec<String> {
        reaction
            .send
            .iter()
            .map(|send| format!("`{}`", send.command))
            .collect()
    };
    for on in &workflow.on {
        let sends = commands(&on.reaction);
        let verb = if on.starts { "starts a process" } else { "" };
        let what = match (verb.is_empty(), sends.is_empty()) {
            (true, true) => continue,
            (true, false) => format!("sends {}", sends.join(", ")),
            (false, true) => verb.to_owned(),
            (false, false) => format!("{verb} and sends {}", sends.join(", ")),
        };
        line.push_str(&format!(" On `{}`, {what}.", on.event.name));
    }
    for timer in &workflow.timers {
        let sends = commands(&timer.reaction);
        if !sends.is_empty() {
            line.push_str(&format!(
                " When `{}` fires, sends {}.",
                timer.name,
                sends.join(", ")
            ));
        }
    }
    line
}
