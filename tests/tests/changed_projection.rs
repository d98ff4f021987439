//! Deploying a changed projection, as a user does: a service runs and records orders; the model
//! gains a query that lists orders by a field of each line (a new index on `OrderSummary`); the
//! regenerated service, started on the same stores, says the projection changed, rebuilds it
//! from the events by itself while serving (its queries a 503, never a 500, meanwhile), and then
//! lists the orders recorded before the change.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::json;
use support::{Service, build_service, generate};

const ORDER: &str = "0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b01";

#[test]
fn a_changed_projection_is_rebuilt_when_the_new_version_starts() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let example = support::workspace().join("examples/ordering.yaml");
    let current = std::fs::read_to_string(&example).expect("the example is readable");
    let query = "  orders_with_product: { projection: OrderSummary, list_by: lines.product_id }\n";
    assert!(
        current.contains(query),
        "the example lists orders by product"
    );
    let before = dir.path().join("ordering-before.yaml");
    std::fs::write(&before, current.replace(query, "")).expect("the earlier model is written");

    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let (write_db, read_db) = (sqlite("events.db"), sqlite("views.db"));

    // The first version records an order with two lines.
    let project = dir.path().join("ordering");
    generate(before.to_str().expect("a UTF-8 path"), &project, None);
    let first = build_service(&project, "ordering", dir.path().join("ordering-1"));
    let mut service = Service::start(&first, &write_db, &read_db);
    let post = |service: &Service, path: &str, body: serde_json::Value| {
        let (status, answer) =
            service.call("POST", &format!("/orders/{ORDER}/{path}"), Some(&body));
        assert_eq!(status, 200, "{path}: {answer}");
    };
    post(
        &service,
        "place-order",
        json!({ "customer_id": "d173fa89-8eb4-4e1c-90a3-c6841706fbb7" }),
    );
    for product in ["pear", "fig"] {
        let line = json!({ "product_id": product, "quantity": 1, "unit_price": "2.00" });
        post(&service, "add-item", json!({ "line": line }));
    }
    service.wait_for(&format!("/order-summary/{ORDER}"), |status, body| {
        status == 200
            && body["lines"]
                .as_array()
                .is_some_and(|lines| lines.len() == 2)
    });
    assert!(service.terminate().success());

    // The second version, on the same stores: the projection changed.
    let project = dir.path().join("ordering-2");
    generate("examples/ordering.yaml", &project, None);
    let second = build_service(&project, "ordering", dir.path().join("ordering-2-service"));
    let status = projections_status(&second, &write_db, &read_db);
    assert!(
        status.contains("changed: rebuilding"),
        "the status names the changed projection:\n{status}"
    );

    let service = Service::start(&second, &write_db, &read_db);
    let listed = service.wait_for("/orders-with-product/fig", |status, body| {
        assert!(
            status == 200 || status == 503,
            "while rebuilding, a 503 to retry, never {status}: {body}"
        );
        if status == 503 {
            assert_eq!(body["code"], "rebuilding", "{body}");
        }
        status == 200
            && body["items"]
                .as_array()
                .is_some_and(|items| !items.is_empty())
    });
    assert_eq!(listed["items"][0]["order_id"], ORDER, "{listed}");
    let (status, summary) = service.call("GET", &format!("/order-summary/{ORDER}"), None);
    assert_eq!(
        (status, summary["lines"].as_array().map(Vec::len)),
        (200, Some(2)),
        "{summary}"
    );
    // The changed projection is in its second generation, built for it; the other one was left
    // as it was.
    let status = projections_status(&second, &write_db, &read_db);
    let row = |name: &str| -> Vec<String> {
        status
            .lines()
            .map(|line| {
                line.split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .find(|columns| columns.first().is_some_and(|first| first == name))
            .unwrap_or_else(|| panic!("{name} in\n{status}"))
    };
    let (summary, history) = (row("order_summary"), row("order_history"));
    assert_eq!(
        (summary[1].as_str(), summary[4].as_str()),
        ("1", "current"),
        "{status}"
    );
    assert_eq!(
        (history[1].as_str(), history[4].as_str()),
        ("0", "current"),
        "{status}"
    );
}

/// What `projections status` prints.
fn projections_status(binary: &Path, write_db: &str, read_db: &str) -> String {
    let output = Command::new(binary)
        .args([
            "projections",
            "status",
            "--write-db",
            write_db,
            "--read-db",
            read_db,
        ])
        .output()
        .expect("the status runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
