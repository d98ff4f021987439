//! `docker-compose.yml`: the servers a stack needs, and the local URLs the service's settings
//! default to, which point at them.

use askama::Template;

use super::names::snake;

use crate::model::ir::{Broker, Model, ReadStore, WriteStore};

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

/// The service's keyspace on the local Cassandra of `docker-compose.yml`.
pub fn cassandra_url(model: &Model) -> String {
    format!("cassandra://127.0.0.1:9042/{}", keyspace(model))
}

/// The keyspace the service's read models live in: its name in snake_case, which CQL accepts.
pub fn keyspace(model: &Model) -> String {
    snake(&model.service)
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
            defaults.push(format!("`--read-db` defaults to {}", cassandra_url(model)));
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
}
