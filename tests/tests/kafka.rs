//! The Ordering service split into processes by role, on the classic write and read stores with
//! Kafka between them: a command process, a query process and two projector processes in one
//! consumer group. One projector is killed with SIGKILL mid-stream; the other takes over its
//! partitions, and every order's read model ends exactly as its commands left it: no event lost,
//! none applied twice.

mod support;

use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::json;
use support::{
    Projector, Service, cargo, generate, kafka_settings, scratch_postgres, shared_target,
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
    cargo(&project, &["build", "--bin", "ordering"]);
    let binary = dir.path().join("ordering-kafka");
    std::fs::copy(shared_target().join("debug/ordering"), &binary).expect("the binary was built");

    let (write_db, read_db) = (scratch_postgres(), scratch_postgres());
    let kafka = kafka_settings();
    let with_role = |role: &str| {
        let mut settings = vec!["--role".to_owned(), role.to_owned()];
        settings.extend(kafka.iter().cloned());
        settings
    };
    let commands = Service::start_with(&binary, &write_db, &read_db, &with_role("command"));
    let queries = Service::start_with(&binary, &write_db, &read_db, &with_role("query"));
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
    let (_, history) = queries.call(
        "GET",
        &format!("/orders-by-customer/{CUSTOMER}?limit=100"),
        None,
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
