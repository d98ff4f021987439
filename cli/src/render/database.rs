//! The files that set up the databases a stack needs: a `docker-compose.yml` with the servers,
//! and the PostgreSQL DDL that the stores run at startup, as SQL files a DBA can review or apply.

use askama::Template;

use super::names::snake;
use crate::model::ir::{Broker, Model, Projection, ReadStore, Type, WriteStore};

/// The servers a stack needs: whether each side lives on PostgreSQL, and whether Kafka is the
/// broker.
#[derive(Debug, Clone, Copy)]
pub struct Servers {
    pub write: bool,
    pub read: bool,
    pub kafka: bool,
    pub cassandra: bool,
}

impl Servers {
    pub fn of(model: &Model) -> Self {
        Self {
            write: model.stores.write == WriteStore::Postgres,
            read: model.stores.read == ReadStore::Postgres,
            kafka: model.stores.broker == Broker::Kafka,
            cassandra: model.stores.read == ReadStore::Cassandra,
        }
    }

    /// Whether a side is on PostgreSQL.
    pub fn postgres(self) -> bool {
        self.write || self.read
    }

    /// Whether the stack needs any server at all.
    pub fn any(self) -> bool {
        self.postgres() || self.kafka || self.cassandra
    }

    /// `--write-db and --read-db default`: the PostgreSQL settings whose default is the local
    /// server.
    pub fn defaults(self) -> &'static str {
        match (self.write, self.read) {
            (true, true) => "`--write-db` and `--read-db` default",
            (true, false) => "`--write-db` defaults",
            _ => "`--read-db` defaults",
        }
    }
}

/// The service's own database on the local server of `docker-compose.yml`: user, password and
/// database are all the service's name.
pub fn local_url(model: &Model) -> String {
    let service = &model.service;
    format!("postgres://{service}:{service}@127.0.0.1:5432/{service}")
}

/// One SQL file of `migrations/postgres/`.
pub struct Migration<'a> {
    pub path: String,
    /// What it creates, for the README.
    pub what: String,
    pub sql: Sql<'a>,
}

pub enum Sql<'a> {
    Events,
    Snapshots,
    States,
    RelayCheckpoints,
    TraceContext,
    Checkpoints,
    Applied,
    Projection(&'a Projection),
}

/// The SQL files for the sides of the stack on PostgreSQL, in the order to apply them: the
/// checkpoint tables first, then one file per projection in the model's order.
pub fn migrations(model: &Model) -> Vec<Migration<'_>> {
    let servers = Servers::of(model);
    let mut files = Vec::new();
    if servers.write {
        files.push(Migration {
            path: "migrations/postgres/write/0001_events.sql".to_owned(),
            what: "the event log (`eventwright_events`)".to_owned(),
            sql: Sql::Events,
        });
        files.push(Migration {
            path: "migrations/postgres/write/0002_snapshots.sql".to_owned(),
            what: "each aggregate's newest snapshot (`eventwright_snapshots`)".to_owned(),
            sql: Sql::Snapshots,
        });
        files.push(Migration {
            path: "migrations/postgres/write/0003_states.sql".to_owned(),
            what: "each state-stored aggregate's current state (`eventwright_states`)".to_owned(),
            sql: Sql::States,
        });
        files.push(Migration {
            path: "migrations/postgres/write/0004_relay_checkpoints.sql".to_owned(),
            what: "how far each outbox relay has delivered (`eventwright_relay_checkpoints`)"
                .to_owned(),
            sql: Sql::RelayCheckpoints,
        });
        files.push(Migration {
            path: "migrations/postgres/write/0005_trace_context.sql".to_owned(),
            what: "the trace each event was recorded in (`eventwright_events.traceparent`)"
                .to_owned(),
            sql: Sql::TraceContext,
        });
    }
    if servers.read {
        files.push(Migration {
            path: "migrations/postgres/read/0001_checkpoints.sql".to_owned(),
            what: "how far each projection has read, and its active generation \
                   (`eventwright_checkpoints`, `eventwright_generations`)"
                .to_owned(),
            sql: Sql::Checkpoints,
        });
        files.push(Migration {
            path: "migrations/postgres/read/0002_applied.sql".to_owned(),
            what: "the last sequence each projection applied per aggregate (`eventwright_applied`)"
                .to_owned(),
            sql: Sql::Applied,
        });
        for (index, projection) in model.projections.iter().enumerate() {
            let table = table(projection);
            files.push(Migration {
                path: format!("migrations/postgres/read/{:04}_{table}.sql", index + 3),
                what: format!("the {} read model (`{table}`)", projection.name),
                sql: Sql::Projection(projection),
            });
        }
    }
    files
}

impl Sql<'_> {
    pub fn render(&self, model: &Model) -> Result<String, askama::Error> {
        match self {
            Sql::Events => EventsSql {
                service: &model.service,
            }
            .render(),
            Sql::Snapshots => SnapshotsSql.render(),
            Sql::States => StatesSql.render(),
            Sql::RelayCheckpoints => RelayCheckpointsSql.render(),
            Sql::TraceContext => TraceContextSql.render(),
            Sql::Checkpoints => CheckpointsSql.render(),
            Sql::Applied => AppliedSql.render(),
            Sql::Projection(projection) => ProjectionSql::new(model, projection).render(),
        }
    }
}

#[derive(Template)]
#[template(path = "docker-compose.yml")]
pub struct DockerCompose<'a> {
    service: &'a str,
    servers: Servers,
    /// What `cargo run -- serve` then connects to, for the header comment.
    defaults: String,
}

impl<'a> DockerCompose<'a> {
    pub fn new(model: &'a Model) -> Self {
        let servers = Servers::of(model);
        let mut defaults = Vec::new();
        if servers.postgres() {
            defaults.push(format!("{} to {}", servers.defaults(), local_url(model)));
        }
        if servers.cassandra {
            defaults.push(format!(
                "`--read-db` defaults to {}",
                super::cassandra::local_url(model)
            ));
        }
        if servers.kafka {
            defaults.push("`--kafka-brokers` defaults to 127.0.0.1:9092".to_owned());
        }
        Self {
            service: &model.service,
            servers,
            defaults: defaults.join("; "),
        }
    }
}

#[derive(Template)]
#[template(path = "migrations/postgres/write/0001_events.sql")]
struct EventsSql<'a> {
    service: &'a str,
}

#[derive(Template)]
#[template(path = "migrations/postgres/write/0002_snapshots.sql")]
struct SnapshotsSql;

#[derive(Template)]
#[template(path = "migrations/postgres/write/0003_states.sql")]
struct StatesSql;

#[derive(Template)]
#[template(path = "migrations/postgres/write/0004_relay_checkpoints.sql")]
struct RelayCheckpointsSql;

#[derive(Template)]
#[template(path = "migrations/postgres/write/0005_trace_context.sql")]
struct TraceContextSql;

#[derive(Template)]
#[template(path = "migrations/postgres/read/checkpoints.sql")]
struct CheckpointsSql;

#[derive(Template)]
#[template(path = "migrations/postgres/read/applied.sql")]
struct AppliedSql;

/// One projection's table and indexes, as `PostgresReadStore::prepare` creates them from the
/// schema that `#[derive(Projection)]` derives from the same fields.
#[derive(Template)]
#[template(path = "migrations/postgres/read/projection.sql")]
struct ProjectionSql<'a> {
    service: &'a str,
    name: &'a str,
    key: &'a str,
    table: String,
    /// `"name" TYPE constraint`, the types aligned.
    columns: Vec<String>,
    /// `CREATE INDEX ...` without the semicolon.
    indexes: Vec<String>,
}

impl<'a> ProjectionSql<'a> {
    fn new(model: &'a Model, projection: &'a Projection) -> Self {
        let table_name = table(projection);
        let width = projection
            .fields
            .iter()
            .map(|field| quote(&field.name).len())
            .max()
            .unwrap_or(0);
        let columns = projection
            .fields
            .iter()
            .map(|field| {
                let (ty, nullable) = column_type(&field.ty);
                let constraint = if field.name == projection.key.name {
                    " PRIMARY KEY"
                } else if nullable {
                    ""
                } else {
                    " NOT NULL"
                };
                format!("{:<width$} {ty}{constraint}", quote(&field.name))
            })
            .collect();
        // In field order, as the derive lists them.
        let indexes = projection
            .fields
            .iter()
            .filter(|field| projection.indexed.contains(&field.name))
            .map(|field| {
                format!(
                    "CREATE INDEX IF NOT EXISTS {}\n    ON {} ({}, {})",
                    quote(&format!("{table_name}_by_{}", field.name)),
                    quote(&table_name),
                    quote(&field.name),
                    quote(&projection.key.name),
                )
            })
            .collect();
        Self {
            service: &model.service,
            name: &projection.name,
            key: &projection.key.name,
            table: quote(&table_name),
            columns,
            indexes,
        }
    }
}

/// The table `#[derive(Projection)]` names: the struct's name in snake_case.
fn table(projection: &Projection) -> String {
    snake(&projection.name)
}

/// The column type of a field, and whether it may be NULL: the Rust type the field gets, its
/// `eventwright::Column` type, and the PostgreSQL read store's `sql_type` for that, in one step.
fn column_type(ty: &Type) -> (&'static str, bool) {
    let sql = match ty {
        Type::Optional(inner) => return (column_type(inner).0, true),
        Type::String | Type::Enum(_) => "TEXT",
        Type::Bool => "BOOLEAN",
        Type::Int => "BIGINT",
        Type::Float => "DOUBLE PRECISION",
        Type::Decimal => "NUMERIC",
        Type::Uuid => "UUID",
        Type::Timestamp => "TIMESTAMPTZ",
        Type::Date => "DATE",
        Type::Value(_) | Type::List(_) => "JSONB",
    };
    (sql, false)
}

/// Quoted as the read store quotes identifiers, so the names are exactly the runtime's.
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct Compose {
        name: String,
        services: std::collections::BTreeMap<String, Service>,
        volumes: std::collections::BTreeMap<String, Option<serde_json::Value>>,
    }

    #[derive(Deserialize)]
    struct Service {
        image: String,
        environment: std::collections::BTreeMap<String, String>,
        ports: Vec<String>,
        volumes: Vec<String>,
        healthcheck: Healthcheck,
    }

    #[derive(Deserialize)]
    struct Healthcheck {
        test: Vec<String>,
    }

    fn ordering() -> Model {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ordering.yaml");
        crate::model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"))
    }

    #[test]
    fn the_compose_file_runs_the_server_the_default_urls_name() {
        let mut model = ordering();
        model.stores.write = WriteStore::Postgres;
        let text = DockerCompose::new(&model).render().unwrap();
        let compose: Compose = serde_saphyr::from_str(&text).expect("docker-compose.yml is YAML");
        assert_eq!(compose.name, "ordering");
        assert_eq!(compose.services.keys().collect::<Vec<_>>(), ["postgres"]);
        let postgres = &compose.services["postgres"];
        assert_eq!(postgres.image, "postgres:16");
        // The credentials and database of the URL that --write-db and --read-db default to.
        let url = local_url(&model);
        let (user, password, db) = ("ordering", "ordering", "ordering");
        assert_eq!(
            url,
            format!("postgres://{user}:{password}@127.0.0.1:5432/{db}")
        );
        assert_eq!(postgres.environment["POSTGRES_USER"], user);
        assert_eq!(postgres.environment["POSTGRES_PASSWORD"], password);
        assert_eq!(postgres.environment["POSTGRES_DB"], db);
        // Reachable from this machine only.
        assert_eq!(postgres.ports, ["127.0.0.1:5432:5432"]);
        assert_eq!(postgres.healthcheck.test[..2], ["CMD", "pg_isready"]);
        assert!(
            postgres
                .healthcheck
                .test
                .windows(2)
                .any(|w| w == ["--dbname", db]),
            "{:?}",
            postgres.healthcheck.test
        );
        // Data survives `docker compose down` in a named volume.
        let (volume, mount) = postgres.volumes[0].split_once(':').unwrap();
        assert_eq!(mount, "/var/lib/postgresql/data");
        assert!(compose.volumes.contains_key(volume));
    }

    #[test]
    fn the_compose_file_runs_kafka_where_the_brokers_default_points() {
        let mut model = ordering();
        model.stores.broker = Broker::Kafka;
        let text = DockerCompose::new(&model).render().unwrap();
        let compose: Compose = serde_saphyr::from_str(&text).expect("docker-compose.yml is YAML");
        assert_eq!(compose.services.keys().collect::<Vec<_>>(), ["kafka"]);
        let kafka = &compose.services["kafka"];
        assert!(kafka.image.starts_with("apache/kafka:"), "{}", kafka.image);
        // What `--kafka-brokers` defaults to, reachable from this machine only.
        assert_eq!(kafka.ports, ["127.0.0.1:9092:9092"]);
        assert_eq!(
            kafka.environment["KAFKA_ADVERTISED_LISTENERS"],
            "PLAINTEXT://127.0.0.1:9092"
        );
        // The service creates its topics with the partitions it wants.
        assert_eq!(
            kafka.environment["KAFKA_AUTO_CREATE_TOPICS_ENABLE"],
            "false"
        );
        let (volume, mount) = kafka.volumes[0].split_once(':').unwrap();
        assert_eq!(mount, kafka.environment["KAFKA_LOG_DIRS"]);
        assert!(compose.volumes.contains_key(volume));
        assert!(text.contains(
            "cargo run -- serve             # `--kafka-brokers` defaults to 127.0.0.1:9092"
        ));
    }

    #[test]
    fn column_types_follow_the_read_store() {
        let model = ordering();
        let summary = &model.projections[0];
        let sql = ProjectionSql::new(&model, summary).render().unwrap();
        for column in [
            "\"order_id\"    UUID PRIMARY KEY",
            "\"customer_id\" UUID NOT NULL",
            "\"status\"      TEXT NOT NULL",
            "\"lines\"       JSONB NOT NULL",
        ] {
            assert!(sql.contains(column), "{column} in\n{sql}");
        }
        assert_eq!(
            column_type(&Type::Optional(Box::new(Type::Decimal))),
            ("NUMERIC", true)
        );
    }
}
