//! One askama template per generated file, and the view each one reads.

use std::path::PathBuf;

use askama::Template;

use super::aggregate::{AggregateRs, AggregateView, HandlersRs};
use super::api::ApiRs;
use super::database::{DockerCompose, Servers, local_url, migrations};
use super::examples::example;
use super::fields::FieldView;
use super::filters;
use super::imports::{Imports, use_line};
use super::layout;
use super::names::{kebab, plural_kebab, shouty, snake};
use super::project_tests::{AggregateTest, HttpTest};
use super::projection::{ProjectionRs, ProjectionView, ProjectionsRs};
use super::scenario::succeeding;
use super::{Options, OutputFile, Owner, RuntimeSource};
use crate::model::ir::{Aggregate, Broker, Command, Model, QueryKind, ReadStore, WriteStore};

/// Renders every file of the service described by `model`.
pub fn render(model: &Model, options: &Options) -> Result<Vec<OutputFile>, askama::Error> {
    let crate_name = snake(&model.service);
    let mut files = vec![
        file(
            "Cargo.toml",
            Owner::User,
            CargoToml {
                model,
                runtime: runtime_dependency(&options.runtime, model),
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
            "# Created by eventwright. This file is yours.\n/target\n*.db\n*.db-shm\n*.db-wal\n"
                .to_owned(),
        ),
        file("README.md", Owner::Generated, Readme::new(model)?.render()?),
        file(
            "src/main.rs",
            Owner::Generated,
            MainRs::new(model, &crate_name).render()?,
        ),
        file(
            "src/projections/mod.rs",
            Owner::Generated,
            ProjectionsRs::new(model).render()?,
        ),
        file(
            "src/telemetry.rs",
            Owner::Generated,
            TelemetryRs::new(model).render()?,
        ),
        file("src/lib.rs", Owner::Generated, LibRs::new(model).render()?),
        file("src/api.rs", Owner::Generated, ApiRs::new(model).render()?),
        file(
            "tests/http.rs",
            Owner::User,
            HttpTest::new(model, &crate_name).render()?,
        ),
    ];
    files.extend(database_files(model)?);
    files.push(file(
        "Dockerfile",
        Owner::User,
        Dockerfile::new(model).render()?,
    ));
    files.push(file(".dockerignore", Owner::User, DockerIgnore.render()?));
    files.push(file(
        "openapi.json",
        Owner::Generated,
        super::openapi::document(model),
    ));
    if model.stores.broker == Broker::Kafka {
        files.push(file(
            "asyncapi.json",
            Owner::Generated,
            super::asyncapi::document(model),
        ));
    }
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
            AggregateTest::new(aggregate, &crate_name).render()?,
        ));
    }
    for projection in &model.projections {
        let view = ProjectionView::new(projection);
        files.push(file(
            &format!("src/projections/{}.rs", snake(&projection.name)),
            Owner::Generated,
            ProjectionRs { view: &view }.render()?,
        ));
    }
    Ok(files)
}

/// `docker-compose.yml` and the SQL files, when a side of the stack is on PostgreSQL. A stack on
/// SQLite alone needs no server, so it gets neither: regenerating after a switch to SQLite
/// removes them, and the README says there is nothing to start.
fn database_files(model: &Model) -> Result<Vec<OutputFile>, askama::Error> {
    let mut files = Vec::new();
    if Servers::of(model).any() {
        files.push(file(
            "docker-compose.yml",
            Owner::Generated,
            DockerCompose::new(model).render()?,
        ));
    }
    for migration in migrations(model) {
        files.push(file(
            &migration.path,
            Owner::Generated,
            migration.sql.render(model)?,
        ));
    }
    if model.stores.read == ReadStore::Cassandra {
        for (path, _, contents) in super::cassandra::migrations(model)? {
            files.push(file(&path, Owner::Generated, contents));
        }
    }
    Ok(files)
}

/// askama drops a template's final newline; every text file ends with one.
fn file(path: &str, owner: Owner, mut contents: String) -> OutputFile {
    if !contents.ends_with('\n') {
        contents.push('\n');
    }
    OutputFile {
        path: PathBuf::from(path),
        contents,
        owner,
    }
}

/// The `eventwright = ...` value: where the crate comes from, and the adapters the stack needs.
fn runtime_dependency(source: &RuntimeSource, model: &Model) -> String {
    let postgres =
        model.stores.write == WriteStore::Postgres || model.stores.read == ReadStore::Postgres;
    let mut names = Vec::new();
    if model.stores.read == ReadStore::Cassandra {
        names.push("\"cassandra\"");
    }
    if model.stores.broker == Broker::Kafka {
        names.push("\"kafka\"");
    }
    if postgres {
        names.push("\"postgres\"");
    }
    let features = if names.is_empty() {
        String::new()
    } else {
        format!(", features = [{}]", names.join(", "))
    };
    match source {
        RuntimeSource::Path(path) => {
            format!("{{ path = {:?}{features} }}", path.display().to_string())
        }
        RuntimeSource::Version(version) if features.is_empty() => format!("{version:?}"),
        RuntimeSource::Version(version) => format!("{{ version = {version:?}{features} }}"),
    }
}

#[derive(Template)]
#[template(path = "Cargo.toml")]
struct CargoToml<'a> {
    model: &'a Model,
    runtime: String,
}

/// The `#[arg(...)]` of each Kafka setting.
struct KafkaSettings {
    brokers: String,
    topic_prefix: String,
    partitions: String,
    replication: String,
}

#[derive(Template)]
#[template(path = "src/main.rs")]
struct MainRs<'a> {
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
    /// The Kafka settings' attributes, when Kafka is the broker.
    kafka: Option<KafkaSettings>,
    /// The `EXAMPLES` and `READS` arrays, laid out.
    examples: String,
    reads: String,
}

impl<'a> MainRs<'a> {
    fn new(model: &'a Model, crate_name: &'a str) -> Self {
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
        Self {
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
            crate_use: if model.stores.broker == Broker::Kafka {
                format!("use {crate_name}::{{App, Broker, Config, api}};")
            } else {
                format!("use {crate_name}::{{App, Config, api}};")
            },
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
            kafka: (model.stores.broker == Broker::Kafka).then(|| KafkaSettings {
                brokers: setting("KAFKA_BROKERS", text("127.0.0.1:9092".to_owned())),
                topic_prefix: setting("KAFKA_TOPIC_PREFIX", text(format!("{}.", model.service))),
                partitions: setting("KAFKA_PARTITIONS", "default_value_t = 3".to_owned()),
                replication: setting("KAFKA_REPLICATION", "default_value_t = 1".to_owned()),
            }),
            examples: layout::array("&[", &examples, 0, 36),
            reads: layout::array("&[", &reads, 0, 23),
        }
    }
}

#[derive(Template)]
#[template(path = "src/telemetry.rs")]
struct TelemetryRs<'a> {
    model: &'a Model,
    log_format_attribute: String,
}

impl<'a> TelemetryRs<'a> {
    fn new(model: &'a Model) -> Self {
        let env = shouty(&model.service);
        Self {
            model,
            log_format_attribute: layout::attribute(
                "arg",
                &[
                    "long".to_owned(),
                    "global = true".to_owned(),
                    format!("env = \"{env}_LOG_FORMAT\""),
                    "value_enum".to_owned(),
                    "default_value_t = LogFormat::Text".to_owned(),
                ],
                4,
            ),
        }
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

#[derive(Template)]
#[template(path = "src/lib.rs")]
struct LibRs<'a> {
    model: &'a Model,
    /// Every module of the crate, in the order rustfmt sorts them.
    modules: Vec<String>,
    /// `use` lines for the store adapters in use.
    store_uses: Vec<String>,
    write_postgres: bool,
    read_postgres: bool,
    read_cassandra: bool,
    kafka: bool,
    /// What `Config::for_tests` gives each side, for its doc comment.
    test_stores: String,
    /// The environment variable naming the Cassandra nodes that tests may use.
    cassandra_test_env: String,
    /// The environment variable naming the PostgreSQL server that tests may use.
    test_env: String,
}

impl<'a> LibRs<'a> {
    fn new(model: &'a Model) -> Self {
        let mut modules: Vec<String> = model.aggregates.iter().map(|a| snake(&a.name)).collect();
        modules.extend(["api".to_owned(), "projections".to_owned()]);
        if !model.enums.is_empty() || !model.values.is_empty() {
            modules.push("types".to_owned());
        }
        modules.sort();
        let write_postgres = model.stores.write == WriteStore::Postgres;
        let read_postgres = model.stores.read == ReadStore::Postgres;
        let read_cassandra = model.stores.read == ReadStore::Cassandra;
        let mut sqlite = Vec::new();
        let mut postgres = Vec::new();
        let (write, write_store) = if write_postgres {
            (&mut postgres, "PostgresEventStore")
        } else {
            (&mut sqlite, "SqliteEventStore")
        };
        write.push(write_store.to_owned());
        if read_postgres {
            postgres.push("PostgresReadStore".to_owned());
        } else if !read_cassandra {
            sqlite.push("SqliteReadStore".to_owned());
        }
        let mut store_uses = Vec::new();
        if read_cassandra {
            store_uses.push(
                "use eventwright::store::cassandra::{self, CassandraConfig, CassandraReadStore};"
                    .to_owned(),
            );
        }
        if !postgres.is_empty() {
            postgres.extend(["self".to_owned(), "Retry".to_owned()]);
            store_uses.extend(use_line("eventwright::store::postgres", &postgres));
        }
        if !sqlite.is_empty() {
            sqlite.push("self".to_owned());
            store_uses.extend(use_line("eventwright::store::sqlite", &sqlite));
        }
        Self {
            model,
            modules,
            store_uses,
            write_postgres,
            read_postgres,
            read_cassandra,
            kafka: model.stores.broker == Broker::Kafka,
            test_stores: test_stores(model),
            cassandra_test_env: format!("{}_TEST_CASSANDRA_NODES", shouty(&model.service)),
            test_env: format!("{}_TEST_POSTGRES_URL", shouty(&model.service)),
        }
    }
}

#[derive(Template)]
#[template(path = "Dockerfile", escape = "none")]
struct Dockerfile<'a> {
    service: &'a str,
    env: String,
    kafka: bool,
    /// Whether a side keeps its data in SQLite files, in the image's working directory.
    sqlite: bool,
}

impl<'a> Dockerfile<'a> {
    fn new(model: &'a Model) -> Self {
        Self {
            service: &model.service,
            env: shouty(&model.service),
            kafka: model.stores.broker == Broker::Kafka,
            sqlite: model.stores.write == WriteStore::Sqlite
                || model.stores.read == ReadStore::Sqlite,
        }
    }
}

#[derive(Template)]
#[template(path = "dockerignore", escape = "none")]
struct DockerIgnore;

/// What `Config::for_tests` gives the two sides.
fn test_stores(model: &Model) -> String {
    let env = shouty(&model.service);
    let side = |name: &str, postgres: bool, cassandra: bool| {
        if postgres {
            format!("{name} in a fresh schema on the server named by `{env}_TEST_POSTGRES_URL`")
        } else if cassandra {
            format!("{name} in a fresh keyspace on the nodes named by `{env}_TEST_CASSANDRA_NODES`")
        } else {
            format!("{name} in memory (SQLite)")
        }
    };
    format!(
        "{}; {}",
        side("events", model.stores.write == WriteStore::Postgres, false),
        side(
            "read models",
            model.stores.read == ReadStore::Postgres,
            model.stores.read == ReadStore::Cassandra
        )
    )
}

/// Where the read store lives unless the command line says otherwise.
fn read_default_url(model: &Model) -> String {
    match model.stores.read {
        ReadStore::Cassandra => super::cassandra::local_url(model),
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
}

impl<'a> Readme<'a> {
    fn new(model: &'a Model) -> Result<Self, askama::Error> {
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
        let cassandra_migrations = if servers.cassandra {
            super::cassandra::migrations(model)?
                .into_iter()
                .map(|(path, what, _)| (path, what))
                .collect()
        } else {
            Vec::new()
        };
        Ok(Self {
            model,
            env,
            servers,
            url: local_url(model),
            defaults: servers.defaults(),
            migrations: migrations(model)
                .into_iter()
                .map(|migration| (migration.path, migration.what))
                .collect(),
            server_names,
            test_command,
            keyspace: super::cassandra::keyspace(model),
            cassandra_url: super::cassandra::local_url(model),
            cassandra_migrations,
            walkthrough: walkthrough(model),
            mermaid: crate::graph::mermaid(model),
        })
    }
}

/// The longest command sequence of the first aggregate that the model's own rules accept (so
/// every step succeeds when run in order), then each query, with example values.
fn walkthrough(model: &Model) -> Walkthrough {
    let mut steps = Vec::new();
    let mut reads = Vec::new();
    if let Some(aggregate) = model.aggregates.first() {
        let id_text = path_text(&example(&aggregate.id).json);
        let longest = aggregate
            .commands
            .iter()
            .filter_map(|command| succeeding(aggregate, command))
            .max_by_key(|scenario| scenario.history.len());
        for command in longest
            .iter()
            .flat_map(|s| s.history.iter().copied().chain([s.command]))
        {
            steps.push((
                command_route(aggregate, command, &id_text),
                example_body(command).to_string(),
            ));
        }
        for query in &model.queries {
            let field = match &query.kind {
                QueryKind::Get { field } | QueryKind::List { field } => field,
            };
            reads.push(format!(
                "/{}/{}",
                kebab(&query.name),
                path_text(&example(field).json)
            ));
        }
    }
    Walkthrough { steps, reads }
}

/// A JSON example as it appears in a URL path: strings bare, numbers as written.
pub(super) fn path_text(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// `POST /<aggregates>/{id}/<command>`.
pub(super) fn command_route(aggregate: &Aggregate, command: &Command, id_text: &str) -> String {
    format!(
        "/{}/{id_text}/{}",
        plural_kebab(&aggregate.name),
        kebab(&command.name)
    )
}

/// A JSON body for `command` with example values.
pub(super) fn example_body(command: &Command) -> serde_json::Value {
    serde_json::Value::Object(
        command
            .fields
            .iter()
            .map(|f| (f.name.clone(), example(f).json))
            .collect(),
    )
}
