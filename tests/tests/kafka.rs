//! The Ordering service split into processes by role, on the classic write and read stores with
//! Kafka between them: a command process, a query process and two projector processes in one
//! consumer group. One projector is killed with SIGKILL mid-stream; the other takes over its
//! partitions, and every order's read model ends exactly as its commands left it: no event lost,
//! none applied twice. And SIGTERM under load: every accepted command stored, every stored
//! event published before the process exits. And a secured cluster (TLS and SASL/SCRAM) reached
//! with the settings a deployment gives in the environment, which never shows the password.

mod support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::json;
use support::{
    Projector, Service, build_service, generate, kafka_settings, scratch_postgres, service_env,
    with_role,
};

const CUSTOMER: &str = "5a4a3d43-7a8a-4b6e-9a53-0c1b5b0f7c11";

#[test]
fn two_projector_processes_share_the_work_and_a_killed_one_loses_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("ordering");
    let stack = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Kafka,
    };
    generate("examples/ordering.yaml", &project, Some(stack));
    let binary = build_service(&project, "ordering", dir.path().join("ordering-kafka"));

    let (write_db, read_db) = (scratch_postgres(), scratch_postgres());
    let kafka = kafka_settings();
    let commands = Service::start_with(&binary, &write_db, &read_db, &with_role("command", &kafka));
    let queries = Service::start_with(&binary, &write_db, &read_db, &with_role("query", &kafka));
    let mut first = Projector::start(&binary, &write_db, &read_db, &kafka);
    let _second = Projector::start(&binary, &write_db, &read_db, &kafka);

    // Each role serves only its own routes.
    let (status, _) = queries.call(
        "POST",
        &format!("/orders/{}/place-order", order(0)),
        Some(&json!({ "customer_id": CUSTOMER })),
    );
    assert_eq!(status, 404, "a query process takes no commands");

    let orders = 40;
    for n in 0..orders {
        if n == orders / 2 {
            first.kill();
        }
        let id = order(n);
        let (status, body) = commands.call(
            "POST",
            &format!("/orders/{id}/place-order"),
            Some(&json!({ "customer_id": CUSTOMER })),
        );
        assert_eq!(status, 200, "{body}");
        for product in ["apple", "pear"] {
            let (status, body) = commands.call(
                "POST",
                &format!("/orders/{id}/add-item"),
                Some(&json!({ "line": { "product_id": product, "quantity": 2, "unit_price": "1.25" } })),
            );
            assert_eq!(status, 200, "{body}");
        }
    }

    let expected = json!([
        { "product_id": "apple", "quantity": 2, "unit_price": "1.25" },
        { "product_id": "pear", "quantity": 2, "unit_price": "1.25" },
    ]);
    for n in 0..orders {
        let summary = queries.wait_for(&format!("/order-summary/{}", order(n)), |status, body| {
            status == 200
                && body["lines"]
                    .as_array()
                    .is_some_and(|lines| lines.len() >= 2)
        });
        assert_eq!(
            summary["lines"], expected,
            "order {n}: each event applied exactly once"
        );
    }
    // Each projection is a consumer group of its own: this one may still be taking over the
    // killed projector's partitions.
    let history = queries.wait_for(
        &format!("/orders-by-customer/{CUSTOMER}?limit=100"),
        |_, body| {
            body["items"]
                .as_array()
                .is_some_and(|items| items.len() >= orders)
        },
    );
    let rows = history["items"].as_array().map_or(0, Vec::len);
    assert_eq!(rows, orders, "{history}");
    assert!(
        history["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["status"] == "Draft")
    );
}

fn order(n: usize) -> String {
    format!("0b5e0d7e-1c53-4d4b-8f5e-{n:012}")
}

/// SIGTERM in the middle of a stream of commands: the service finishes the requests in flight,
/// then flushes the outbox before it exits, so every command it accepted is in the event store
/// and every event in the store has reached Kafka.
#[test]
fn sigterm_under_load_loses_no_accepted_command_and_publishes_every_event() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("ordering");
    let stack = Stores {
        write: WriteStore::Sqlite,
        read: ReadStore::Sqlite,
        broker: Broker::Kafka,
    };
    generate("examples/ordering.yaml", &project, Some(stack));
    let binary = build_service(&project, "ordering", dir.path().join("ordering-sigterm"));
    let events_db = dir.path().join("events.db");
    let write_db = format!("sqlite://{}", events_db.display());
    let read_db = format!("sqlite://{}", dir.path().join("views.db").display());
    let mut service = Service::start_with(&binary, &write_db, &read_db, &kafka_settings());

    let base = service.base.clone();
    let load = std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut accepted = Vec::new();
        for n in 0.. {
            let id = order(n);
            let sent = agent
                .post(format!("{base}/orders/{id}/place-order"))
                .header("content-type", "application/json")
                .send(json!({ "customer_id": CUSTOMER }).to_string());
            match sent {
                Ok(response) if response.status() == 200 => accepted.push(id),
                Ok(response) => panic!("order {n}: {}", response.status()),
                // The server has stopped taking connections.
                Err(_) => break,
            }
        }
        accepted
    });
    // A client watching a query all along: its stream must not hold the shutdown up.
    let watching = support::sse::Watching::open(
        &service.base,
        "/order-summary/0b5e0d7e-1c53-4d4b-8f5e-000000000000/watch",
        None,
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    let status = service.terminate();
    assert!(status.success(), "a clean exit: {status}");
    let last = std::iter::from_fn(|| watching.next_or_end(std::time::Duration::from_secs(5)))
        .last()
        .expect("the watch sent its snapshot, then ended");
    assert_eq!(
        (last.event.as_str(), &last.data["code"]),
        ("error", &json!("shutting_down")),
        "the watch ends telling the client why: {last:?}"
    );
    let accepted = load.join().expect("the load ran");
    assert!(
        accepted.len() > 10,
        "{} commands before SIGTERM",
        accepted.len()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (stored, last, published): (Vec<String>, i64, i64) = runtime.block_on(async {
        let db = sqlx::SqlitePool::connect(&write_db).await.unwrap();
        let stored = sqlx::query_scalar("SELECT aggregate_id FROM eventwright_events")
            .fetch_all(&db)
            .await
            .unwrap();
        let last = sqlx::query_scalar("SELECT max(position) FROM eventwright_events")
            .fetch_one(&db)
            .await
            .unwrap();
        let published = sqlx::query_scalar(
            "SELECT position FROM eventwright_relay_checkpoints WHERE relay = 'kafka'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        (stored, last, published)
    });
    let stored: BTreeSet<String> = stored.into_iter().collect();
    let lost: Vec<_> = accepted.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "accepted but not stored: {lost:?}");
    assert_eq!(
        published, last,
        "the relay acknowledged every event before the service exited"
    );
}

/// The environment a deployment gives a service to reach the test cluster's TLS and SCRAM
/// listener, with `password` as the SCRAM password.
fn secured_kafka_env(password: &str) -> Vec<(String, String)> {
    [
        ("BROKERS", service_env("EVENTWRIGHT_KAFKA_SECURE_BROKERS")),
        (
            "TOPIC_PREFIX",
            format!("e2e{}.", uuid::Uuid::new_v4().simple()),
        ),
        ("TLS_CA", service_env("EVENTWRIGHT_TLS_CA")),
        ("SASL_MECHANISM", "SCRAM-SHA-512".to_owned()),
        ("SASL_USERNAME", service_env("EVENTWRIGHT_KAFKA_SCRAM_USER")),
        ("SASL_PASSWORD", password.to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (format!("ORDERING_KAFKA_{name}"), value))
    .collect()
}

#[test]
fn a_secured_kafka_is_reached_from_the_environment_and_its_password_never_shown() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("ordering");
    let stack = Stores {
        write: WriteStore::Sqlite,
        read: ReadStore::Sqlite,
        broker: Broker::Kafka,
    };
    generate("examples/ordering.yaml", &project, Some(stack));
    let binary = build_service(&project, "ordering", dir.path().join("ordering-secured"));
    let db = |name: &str| format!("sqlite://{}", dir.path().join(name).display());

    // Commands and projections through the TLS listener, as SCRAM's user.
    let password = service_env("EVENTWRIGHT_KAFKA_SCRAM_PASSWORD");
    let service = Service::start_with_env(
        &binary,
        &db("events.db"),
        &db("views.db"),
        &[],
        &secured_kafka_env(&password),
    );
    let id = order(7);
    let (status, body) = service.call(
        "POST",
        &format!("/orders/{id}/place-order"),
        Some(&json!({ "customer_id": CUSTOMER })),
    );
    assert_eq!(status, 200, "{body}");
    let summary = service.wait_for(&format!("/order-summary/{id}"), |status, _| status == 200);
    assert_eq!(summary["status"], "Draft", "{summary}");
    let logged = service.output().join("\n");
    assert!(!logged.contains(&password), "{logged}");

    // `--help` names the variable, never its value.
    let wrong = "not-the-password-Xq7";
    let help = Command::new(&binary)
        .args(["serve", "--help"])
        .envs(secured_kafka_env(wrong))
        .output()
        .expect("serve --help runs");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("ORDERING_KAFKA_SASL_PASSWORD"), "{help}");
    assert!(!help.contains(wrong), "{help}");

    // A wrong password: the service says what failed, and never what it tried.
    let mut projector = Command::new(&binary)
        .args(["serve", "--role", "projector", "--bind", "127.0.0.1:0"])
        .args(["--write-db", &db("events.db"), "--read-db", &db("views.db")])
        .envs(secured_kafka_env(wrong))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the projector starts");
    std::thread::sleep(std::time::Duration::from_secs(15));
    let _ = projector.kill();
    let output = projector.wait_with_output().expect("its output");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!said.contains(wrong), "{said}");
    assert!(
        said.to_ascii_lowercase().contains("authentication"),
        "the failure is reported: {said}"
    );
}
