//! `src/main.rs`: the binary, its settings with their defaults, and the hints it prints.

use askama::Template;

use super::compose::{self, Servers, local_url};
use super::layout;
use super::names::shouty;
use super::personal::Personal;
use super::walkthrough::walkthrough;
use crate::model::ir::{Broker, Model, ReadStore};

/// The `#[arg(...)]` of each authentication setting, and the prefix of their variables.
struct AuthSettings {
    env: String,
    secret: String,
    jwks_url: String,
    jwks_refresh: String,
    issuer: String,
    audience: String,
    roles_claim: String,
    /// `token`'s secret: the same variable, required.
    token_secret: String,
}

#[derive(Template)]
#[template(path = "src/main.rs")]
pub(super) struct MainRs<'a> {
    model: &'a Model,
    command_attribute: String,
    bind_attribute: String,
    write_attribute: String,
    read_attribute: String,
    /// The `connect_attempts` setting's attribute, when a side is on PostgreSQL.
    connect_attribute: Option<String>,
    role_attribute: String,
    max_body_attribute: String,
    timeout_attribute: String,
    consistency_wait_attribute: String,
    /// `use <crate>::{App, Config};`, with what else the stack needs.
    crate_use: String,
    /// Whether Kafka is the broker, whose settings `src/kafka.rs` holds.
    kafka: bool,
    /// Whether the model has workflows, which `--role workflows` (and `all`) runs.
    workflows: bool,
    auth: AuthSettings,
    /// Whether a command or query of the model names roles.
    has_roles: bool,
    /// Whether the model has personal data, which `forget` erases.
    personal: bool,
    /// Whether the read store is Cassandra, whose test keyspace the config may hold.
    read_cassandra: bool,
    /// Whether the service serves several tenants, each over stores of its own.
    tenancy: bool,
    /// The `--personal-key` setting's attribute, when the model has personal data.
    personal_key_attribute: Option<String>,
    /// The prefix of the service's environment variables.
    env: String,
    /// The `--tenants` setting's attribute, when it does.
    tenants_attribute: Option<String>,
    /// The `EXAMPLES` and `READS` arrays, laid out.
    examples: String,
    reads: String,
}

impl<'a> MainRs<'a> {
    pub(super) fn new(model: &'a Model, crate_name: &'a str) -> Self {
        let env = shouty(&model.service);
        let servers = Servers::of(model);
        let setting = |name: &str, default: String| {
            let args = [
                "long".to_owned(),
                format!("env = \"{env}_{name}\""),
                default,
            ];
            layout::attribute("arg", &args, 4)
        };
        let text = |default: String| format!("default_value = {default:?}");
        let walkthrough = walkthrough(model);
        let examples: Vec<String> = walkthrough
            .steps
            .iter()
            .map(|(path, body)| {
                layout::call("", &[format!("{path:?}"), format!("{body:?}")], 4, "")
            })
            .collect();
        let reads: Vec<String> = walkthrough
            .reads
            .iter()
            .map(|path| format!("{path:?}"))
            .collect();
        let optional = |name: &str, conflicts: Option<&str>| {
            let mut args = vec!["long".to_owned(), format!("env = \"{env}_{name}\"")];
            if name == "AUTH_SECRET" {
                // `--help` shows where the secret comes from, never the secret itself.
                args.push("hide_env_values = true".to_owned());
            }
            args.extend(conflicts.map(|other| format!("conflicts_with = {other:?}")));
            layout::attribute("arg", &args, 4)
        };
        Self {
            auth: AuthSettings {
                env: format!("{env}_AUTH"),
                secret: optional("AUTH_SECRET", Some("auth_jwks_url")),
                jwks_url: optional("AUTH_JWKS_URL", None),
                jwks_refresh: setting("AUTH_JWKS_REFRESH", "default_value_t = 300".to_owned()),
                issuer: optional("AUTH_ISSUER", None),
                audience: optional("AUTH_AUDIENCE", None),
                roles_claim: setting("AUTH_ROLES_CLAIM", text("roles".to_owned())),
                token_secret: layout::attribute(
                    "arg",
                    &[
                        "long".to_owned(),
                        format!("env = \"{env}_AUTH_SECRET\""),
                        "hide_env_values = true".to_owned(),
                    ],
                    4,
                ),
            },
            has_roles: model
                .aggregates
                .iter()
                .flat_map(|aggregate| &aggregate.commands)
                .any(|command| !command.roles.is_empty())
                || model.queries.iter().any(|query| !query.roles.is_empty()),
            workflows: !model.workflows.is_empty(),
            personal: Personal::of(model).is_some(),
            read_cassandra: model.stores.read == ReadStore::Cassandra,
            tenancy: model.tenancy.is_some(),
            personal_key_attribute: Personal::of(model).map(|_| {
                let args = [
                    "long".to_owned(),
                    format!("env = \"{env}_PERSONAL_KEY\""),
                    "hide_env_values = true".to_owned(),
                ];
                layout::attribute("arg", &args, 4)
            }),
            env: env.clone(),
            tenants_attribute: model.tenancy.as_ref().map(|_| {
                let args = [
                    "long".to_owned(),
                    format!("env = \"{env}_TENANTS\""),
                    "value_delimiter = ','".to_owned(),
                    "required = true".to_owned(),
                ];
                layout::attribute("arg", &args, 4)
            }),
            model,
            command_attribute: layout::attribute(
                "command",
                &[format!("name = {:?}", model.service), "version".to_owned()],
                0,
            ),
            bind_attribute: setting("BIND", text("127.0.0.1:8080".to_owned())),
            write_attribute: setting(
                "WRITE_DB",
                text(default_url(model, servers.write, "events")),
            ),
            read_attribute: setting("READ_DB", text(read_default_url(model))),
            connect_attribute: servers.postgres().then(|| {
                setting(
                    "CONNECT_ATTEMPTS",
                    "default_value_t = Retry::default().attempts".to_owned(),
                )
            }),
            crate_use: crate_use(model, crate_name),
            max_body_attribute: setting("MAX_BODY_BYTES", "default_value_t = 1 << 20".to_owned()),
            timeout_attribute: setting("REQUEST_TIMEOUT", "default_value_t = 30".to_owned()),
            consistency_wait_attribute: setting(
                "CONSISTENCY_WAIT_MS",
                "default_value_t = 5000".to_owned(),
            ),
            role_attribute: layout::attribute(
                "arg",
                &[
                    "long".to_owned(),
                    format!("env = \"{env}_ROLE\""),
                    "value_enum".to_owned(),
                    "default_value_t = Role::All".to_owned(),
                ],
                4,
            ),
            kafka: model.stores.broker == Broker::Kafka,
            // `const EXAMPLES: &[(&str, &str)] = ` and `const READS: &[&str] = `.
            examples: layout::lone_item(&examples, 34)
                .unwrap_or_else(|| layout::array("&[", &examples, 0, 36)),
            reads: layout::lone_item(&reads, 23)
                .unwrap_or_else(|| layout::array("&[", &reads, 0, 23)),
        }
    }
}

/// `use <crate>::...;` for what the binary takes from its library.
fn crate_use(model: &Model, crate_name: &str) -> String {
    let mut names = vec!["App", "Config"];
    if model.stores.broker == Broker::Kafka {
        names.push("Broker");
    }
    if Personal::of(model).is_some() {
        names.extend(["PERSONAL_PROJECTIONS", "SUBJECTS", "subject_id"]);
    }
    if model.tenancy.is_some() {
        names.extend(["TENANT_CLAIM", "Tenants"]);
    }
    names.push("api");
    names.sort_unstable();
    format!(
        "use {crate_name}::services::Services;\nuse {crate_name}::{{{}}};",
        names.join(", ")
    )
}

/// Where the read store lives unless the command line says otherwise.
fn read_default_url(model: &Model) -> String {
    match model.stores.read {
        ReadStore::Cassandra => compose::cassandra_url(model),
        ReadStore::Postgres => local_url(model),
        ReadStore::Sqlite => default_url(model, false, "views"),
    }
}

/// Where a store lives unless the command line says otherwise: a SQLite file beside the service,
/// or the service's database on a local PostgreSQL (the docker-compose setup).
fn default_url(model: &Model, postgres: bool, side: &str) -> String {
    if postgres {
        local_url(model)
    } else {
        format!("sqlite://{}-{side}.db", model.service)
    }
}
