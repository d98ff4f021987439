//! Connections to secured servers, as deployments have them (start them with
//! `scripts/services.sh up`, which gives each a TLS port with a certificate for 127.0.0.1 from
//! one test authority): Kafka over TLS with SASL/SCRAM, PostgreSQL and Cassandra over TLS.
//! A server whose certificate the client cannot check is refused, and a wrong password fails
//! with an error that never shows it.
#![cfg(all(
    feature = "kafka",
    feature = "postgres",
    feature = "cassandra",
    feature = "sqlite"
))]

use std::sync::Arc;
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::bus::kafka::{
    KafkaConfig, KafkaFeed, KafkaSasl, KafkaSecurity, KafkaSink, KafkaTls, SaslMechanism,
    SecretString,
};
use eventwright::relay::OutboxRelay;
use eventwright::store::cassandra::{self, CassandraConfig};
use eventwright::store::postgres::{self, Retry};
use eventwright::store::sqlite::{self, SqliteEventStore, SqliteReadStore};
use eventwright::store::{EventStore, ReadStore};
use eventwright::{Dispatcher, Metadata, Projection, ProjectionEngine};
use serde_json::json;

mod common;

use common::*;

/// The authority that signed every test server's certificate.
fn test_ca() -> std::path::PathBuf {
    service_env("EVENTWRIGHT_TLS_CA").into()
}

/// The secured Kafka listener, with topics of the test's own.
fn secured_kafka(mechanism: SaslMechanism, password: &str) -> KafkaConfig {
    let prefix = format!("t{}.", uuid::Uuid::new_v4().simple());
    KafkaConfig {
        security: KafkaSecurity {
            tls: Some(KafkaTls {
                ca: Some(test_ca()),
                ..KafkaTls::default()
            }),
            sasl: Some(KafkaSasl {
                mechanism,
                username: service_env("EVENTWRIGHT_KAFKA_SCRAM_USER"),
                password: SecretString::from(password),
            }),
        },
        ..KafkaConfig::new(service_env("EVENTWRIGHT_KAFKA_SECURE_BROKERS"), prefix)
    }
}

/// Commands on SQLite, relayed through the secured listener to projectors consuming from it.
async fn relay_and_project(config: &KafkaConfig) {
    let dir = tempfile::tempdir().unwrap();
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let events: Arc<dyn EventStore> = Arc::new(SqliteEventStore::new(
        sqlite::connect(&url("events.db")).await.unwrap(),
    ));
    events.prepare().await.unwrap();
    let read: Arc<dyn ReadStore> = Arc::new(SqliteReadStore::new(
        sqlite::connect(&url("views.db")).await.unwrap(),
    ));
    let log = InProcBus::new(Arc::clone(&events)).with_poll_interval(Duration::from_millis(50));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(log.clone()));
    let sink = Arc::new(KafkaSink::new(config).unwrap());
    sink.ping().await.unwrap();
    let relay = OutboxRelay::new("kafka", Arc::clone(&events), log, sink);
    let feed = Arc::new(KafkaFeed::new(config.clone(), ["Counter"]));
    let projectors = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), feed)
        .with::<Total>()
        .with_retry_delay(Duration::from_millis(100));
    projectors.prepare().await.unwrap();
    let consuming = projectors.spawn();
    let relaying = relay.spawn();
    for n in 0..3 {
        let id = format!("c{n}");
        dispatcher
            .dispatch(Start { id: id.clone() }, Metadata::default())
            .await
            .unwrap();
        dispatcher
            .dispatch(Bump { id }, Metadata::default())
            .await
            .unwrap();
    }
    let counted = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let total = read.get(&Total::SCHEMA, &json!("all")).await.unwrap();
            if total.and_then(|row| row["events"].as_u64()) == Some(6) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    relaying.abort();
    for task in consuming {
        task.abort();
    }
    assert!(
        counted.is_ok(),
        "the projection did not count 6 events through the secured listener"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_travel_through_kafka_over_tls_with_scram_sha_256() {
    let password = service_env("EVENTWRIGHT_KAFKA_SCRAM_PASSWORD");
    relay_and_project(&secured_kafka(SaslMechanism::ScramSha256, &password)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_travel_through_kafka_over_tls_with_scram_sha_512() {
    let password = service_env("EVENTWRIGHT_KAFKA_SCRAM_PASSWORD");
    relay_and_project(&secured_kafka(SaslMechanism::ScramSha512, &password)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_kafka_password_fails_and_is_never_shown() {
    let password = "not-the-password-Xq7";
    let config = secured_kafka(SaslMechanism::ScramSha256, password);
    let shown = format!("{config:?}");
    assert!(!shown.contains(password), "{shown}");
    let error = match KafkaSink::new(&config) {
        Ok(sink) => sink.ping().await.unwrap_err().to_string(),
        Err(error) => error.to_string(),
    };
    assert!(!error.contains(password), "{error}");
    assert!(error.contains(&config.brokers), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_refuses_a_broker_whose_certificate_it_cannot_check() {
    let mut config = secured_kafka(
        SaslMechanism::ScramSha256,
        &service_env("EVENTWRIGHT_KAFKA_SCRAM_PASSWORD"),
    );
    // The system's authorities, which never signed the test certificate.
    config.security.tls = Some(KafkaTls::default());
    let sink = KafkaSink::new(&config).unwrap();
    assert!(sink.ping().await.is_err());
}

#[tokio::test]
async fn kafka_refuses_a_plain_password_without_tls() {
    let mut config = secured_kafka(SaslMechanism::Plain, "whatever");
    config.security.tls = None;
    let error = KafkaSink::new(&config).err().unwrap().to_string();
    assert!(error.contains("PLAIN") && error.contains("TLS"), "{error}");
}

/// The test server's URL with these settings after it.
fn postgres_url(settings: &str) -> String {
    format!("{}?{settings}", service_env("EVENTWRIGHT_POSTGRES_URL"))
}

const ONCE: Retry = Retry {
    attempts: 1,
    first_delay: Duration::from_millis(10),
};

#[tokio::test]
async fn postgres_connects_over_tls_checking_the_certificate_and_name() {
    let ca = test_ca();
    let url = postgres_url(&format!("sslmode=verify-full&sslrootcert={}", ca.display()));
    let pool = postgres::connect(&url, 2, ONCE).await.unwrap();
    let encrypted: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(encrypted, "the connection is not encrypted");

    // The system's authorities never signed the test certificate.
    let unchecked = postgres::connect(&postgres_url("sslmode=verify-full"), 2, ONCE).await;
    assert!(unchecked.is_err());
}

#[tokio::test]
async fn a_wrong_postgres_password_fails_and_is_never_shown() {
    let url = service_env("EVENTWRIGHT_POSTGRES_URL");
    let (before, after) = url.split_once("@").unwrap();
    let (user, _) = before.rsplit_once(':').unwrap();
    let password = "not-the-password-Xq7";
    let wrong = format!("{user}:{password}@{after}?sslpassword=k3y-Xq7");
    let error = postgres::connect(&wrong, 2, ONCE)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        !error.contains(password) && !error.contains("k3y-Xq7"),
        "{error}"
    );
    assert!(
        error.contains(":***@") && error.contains("password"),
        "{error}"
    );
}

/// The test node's URL with a keyspace of its own and these settings.
fn cassandra_url(settings: &str) -> String {
    let keyspace = format!("tls_{}", uuid::Uuid::new_v4().simple());
    let nodes = service_env("EVENTWRIGHT_CASSANDRA_NODES");
    format!("cassandra://{nodes}/{keyspace}?{settings}")
}

#[tokio::test]
async fn cassandra_connects_over_tls_checking_the_certificate() {
    let url = cassandra_url(&format!("sslrootcert={}", test_ca().display()));
    let config = CassandraConfig::from_url(&url).unwrap();
    let session = cassandra::connect(&config).await.unwrap();
    session
        .query_unpaged(format!("DROP KEYSPACE {}", config.keyspace), ())
        .await
        .unwrap();

    // The system's authorities never signed the test certificate: only a connection that
    // really is TLS, and checks it, is refused.
    let unchecked = CassandraConfig::from_url(&cassandra_url("sslmode=verify-full")).unwrap();
    let error = tokio::time::timeout(Duration::from_secs(120), cassandra::connect(&unchecked))
        .await
        .expect("refusing the node took over two minutes")
        .expect_err("a node whose certificate cannot be checked was accepted");
    assert!(error.to_string().contains(&unchecked.nodes), "{error}");
}
