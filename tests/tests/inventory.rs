//! A second model, with string ids, dates, timestamps, increments, deletes and a state-stored
//! aggregate, generates a project that builds without a warning and passes clippy, rustfmt and
//! its own tests; on PostgreSQL too, where its state rows and events commit in one statement.

mod support;

use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::json;
use support::{Service, cargo, cargo_with_env, copied_binary, generate, postgres_url};

#[test]
fn inventory_project_builds_cleanly_and_passes_its_own_tests_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("inventory");
    generate("examples/inventory.yaml", &project, None);

    let build = cargo(&project, &["build", "--all-targets"]);
    assert!(
        !build.contains("warning"),
        "the generated project builds with warnings:\n{build}"
    );
    cargo(
        &project,
        &["clippy", "--all-targets", "--", "-D", "warnings"],
    );
    cargo(&project, &["fmt", "--check"]);
    cargo(&project, &["test"]);
    let binary = copied_binary("inventory", dir.path().join("inventory-sqlite"));
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    find_stock_over_http(&Service::start(
        &binary,
        &sqlite("events.db"),
        &sqlite("views.db"),
    ));

    // In the same test, not beside it: both projects are the crate `inventory` in one target
    // dir, so their builds must not interleave.
    let project = dir.path().join("inventory-postgres");
    let stack = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Inproc,
    };
    generate("examples/inventory.yaml", &project, Some(stack));
    cargo_with_env(
        &project,
        &["test"],
        &[("INVENTORY_TEST_POSTGRES_URL", postgres_url())],
    );
}

/// Items found by a field of their location, most on hand first, and by any one of their tags.
fn find_stock_over_http(service: &Service) {
    let post = |path: &str, body: serde_json::Value| {
        let (status, answer) = service.call("POST", path, Some(&body));
        assert_eq!(status, 200, "{path}: {answer}");
    };
    for (sku, aisle, on_hand, tags) in [
        ("bolt", "A", 5, json!(["metal", "small"])),
        ("nut", "A", 9, json!(["metal", "metal"])),
        ("rope", "B", 2, json!([])),
    ] {
        post(
            &format!("/items/{sku}/register-item"),
            json!({ "name": sku, "unit": "Piece" }),
        );
        post(
            &format!("/items/{sku}/receive-stock"),
            json!({ "quantity": on_hand, "received_on": "2026-12-06" }),
        );
        post(
            &format!("/items/{sku}/shelve"),
            json!({ "location": { "aisle": aisle, "shelf": 1 } }),
        );
        post(&format!("/items/{sku}/tag"), json!({ "tags": tags }));
    }
    let skus = |page: &serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["sku"].as_str().unwrap().to_owned())
            .collect()
    };
    let aisle = service.wait_for("/stock-in-aisle/A", |status, page| {
        status == 200
            && page["items"]
                .as_array()
                .is_some_and(|items| items.len() == 2)
    });
    assert_eq!(skus(&aisle), ["nut", "bolt"], "most on hand first: {aisle}");
    let metal = service.wait_for("/stock-tagged/metal", |status, page| {
        status == 200
            && page["items"]
                .as_array()
                .is_some_and(|items| items.len() == 2)
    });
    assert_eq!(skus(&metal), ["bolt", "nut"], "each once, by key: {metal}");
    // Retagged: the old tags find it no more.
    post("/items/bolt/tag", json!({ "tags": ["small"] }));
    let metal = service.wait_for("/stock-tagged/metal", |status, page| {
        status == 200
            && page["items"]
                .as_array()
                .is_some_and(|items| items.len() == 1)
    });
    assert_eq!(skus(&metal), ["nut"], "{metal}");
    let (status, page) = service.call("GET", "/stock-tagged/small", None);
    assert_eq!(
        (status, skus(&page)),
        (200, vec!["bolt".to_owned()]),
        "{page}"
    );
    // Items and stock per unit, kept up to date as stock moves.
    let per_unit = service.wait_for("/stock-per-unit", |status, page| {
        status == 200 && page["items"][0]["on_hand"] == 16
    });
    assert_eq!(
        per_unit["items"],
        json!([{ "unit": "Piece", "count": 3, "on_hand": 16 }]),
        "{per_unit}"
    );
    post(
        "/items/nut/ship-stock",
        json!({ "quantity": 4, "shipped_at": "2026-12-06T10:00:00Z" }),
    );
    service.wait_for("/stock-per-unit/Piece", |status, group| {
        status == 200 && *group == json!({ "unit": "Piece", "count": 3, "on_hand": 12 })
    });
    let (status, none) = service.call("GET", "/stock-per-unit/Litre", None);
    assert_eq!(
        (status, none),
        (200, json!({ "unit": "Litre", "count": 0, "on_hand": 0 }))
    );
    let (status, refused) = service.call("GET", "/stock-per-unit/Gallon", None);
    assert_eq!(
        (status, &refused["field"]),
        (400, &json!("unit")),
        "{refused}"
    );
    let (status, refused) = service.call("GET", "/stock-in-aisle/A?from=1", None);
    assert_eq!(
        (status, &refused["field"]),
        (400, &json!("from")),
        "a list without a range: {refused}"
    );
}
