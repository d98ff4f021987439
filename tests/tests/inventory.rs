//! A second model, with string ids, dates, timestamps, increments, deletes, a state-stored
//! aggregate and several tenants, generates a project that builds without a warning and passes
//! clippy, rustfmt and its own tests, on SQLite and on PostgreSQL + Cassandra + Kafka. Run, it
//! keeps each tenant's stock in stores of its own: what one company records, another never
//! reads nor changes.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use eventwright::http::auth::issue_token_with;
use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::json;
use support::{
    Service, build_service, cargo, cargo_with_env, copied_binary, generate, kafka_settings,
    postgres_url, scratch_cassandra,
};

const SECRET: &str = "the inventory test's own secret, 32 bytes or more";

/// A token for `subject` of the company `org` (none when `org` is `None`).
fn token(subject: &str, org: Option<&str>) -> String {
    let mut claims = serde_json::Map::new();
    if let Some(org) = org {
        claims.insert("org".to_owned(), json!(org));
    }
    issue_token_with(
        SECRET.as_bytes(),
        subject,
        &[],
        Duration::from_secs(3600),
        claims,
    )
}

/// `--auth-secret` and `--tenants`: what a service of several tenants needs to start.
fn tenant_settings(tenants: &[&str]) -> Vec<String> {
    vec![
        "--auth-secret".to_owned(),
        SECRET.to_owned(),
        "--tenants".to_owned(),
        tenants.join(","),
    ]
}

#[test]
fn inventory_projects_build_cleanly_and_keep_each_tenant_apart() {
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
    refuses_to_serve_tenants_without_tokens(&binary);
    let mut service = Service::start_with(
        &binary,
        &sqlite("events.db"),
        &sqlite("views.db"),
        &tenant_settings(&["north", "south"]),
    );
    // The binary signs tokens the service takes, as a user trying it would.
    let signed = Command::new(&binary)
        .args(["token", "ann", "--tenant", "north"])
        .env("INVENTORY_AUTH_SECRET", SECRET)
        .output()
        .expect("the binary runs");
    assert!(signed.status.success(), "{signed:?}");
    service.act_as(String::from_utf8(signed.stdout).unwrap().trim());
    find_stock_over_http(&service);
    tenants_apart_over_http(&mut service, "south");
    // A file per tenant, beside the one named: nobody's data in it.
    for file in [
        "events.north.db",
        "events.south.db",
        "views.north.db",
        "views.south.db",
    ] {
        assert!(dir.path().join(file).exists(), "{file}");
    }
    assert!(!dir.path().join("events.db").exists());
    drop(service);

    // In the same test, not beside it: both projects are the crate `inventory` in one target
    // dir, so their builds must not interleave.
    let project = dir.path().join("inventory-postgres");
    let stack = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Cassandra,
        broker: Broker::Kafka,
    };
    generate("examples/inventory.yaml", &project, Some(stack));
    cargo_with_env(
        &project,
        &["test"],
        &[
            ("INVENTORY_TEST_POSTGRES_URL", postgres_url()),
            ("INVENTORY_TEST_CASSANDRA_NODES", support::cassandra_nodes()),
        ],
    );
    let binary = build_service(&project, "inventory", dir.path().join("inventory-kafka"));
    tenants_apart_on_postgres_cassandra_and_kafka(&binary);
}

/// Serving tenants, the service must find each caller's in a token: without keys it does not
/// start, and says why.
fn refuses_to_serve_tenants_without_tokens(binary: &Path) {
    let output = Command::new(binary)
        .args(["serve", "--bind", "127.0.0.1:0", "--tenants", "north"])
        .args([
            "--write-db",
            "sqlite::memory:",
            "--read-db",
            "sqlite::memory:",
        ])
        .output()
        .expect("the service runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("must check tokens"), "{stderr}");
    let output = Command::new(binary)
        .args(["serve", "--tenants", "North", "--auth-secret", SECRET])
        .output()
        .expect("the service runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("`North` is not a tenant name"), "{stderr}");
}

/// `other`'s caller, after the first tenant recorded stock: finds none of it, cannot ship it,
/// and a token naming no company or another one reaches nobody's.
fn tenants_apart_over_http(service: &mut Service, other: &str) {
    service.act_as(&token("bob", Some(other)));
    let (status, page) = service.call("GET", "/stock-in-aisle/A", None);
    assert_eq!((status, &page["items"]), (200, &json!([])), "{page}");
    let (status, row) = service.call("GET", "/stock-level/bolt", None);
    assert_eq!(status, 404, "{row}");
    let ship = json!({ "quantity": 1, "shipped_at": "2026-12-06T10:00:00Z" });
    let (status, refused) = service.call("POST", "/items/bolt/ship-stock", Some(&ship));
    assert_eq!(
        (status, &refused["code"]),
        (404, &json!("not_found")),
        "{refused}"
    );
    for (org, code) in [(None, "no_tenant"), (Some("east"), "unknown_tenant")] {
        service.act_as(&token("eve", org));
        let (status, refused) = service.call("GET", "/stock-in-aisle/A", None);
        assert_eq!((status, &refused["code"]), (403, &json!(code)), "{refused}");
    }
}

/// Two companies on PostgreSQL (a schema each), Cassandra (a keyspace each) and Kafka (topics
/// each): one's stock reaches its read model through its own topics, and the other's sees none.
fn tenants_apart_on_postgres_cassandra_and_kafka(binary: &Path) {
    // Companies of this run's own: their schemas are made beside everyone's, and dropped here.
    let run = uuid::Uuid::new_v4().simple().to_string();
    let (north, south) = (format!("n{}", &run[..8]), format!("s{}", &run[8..16]));
    let mut settings = tenant_settings(&[&north, &south]);
    settings.extend(kafka_settings());
    let mut service = Service::start_with(binary, &postgres_url(), &scratch_cassandra(), &settings);
    service.act_as(&token("ann", Some(&north)));
    for (path, body) in [
        (
            "/items/bolt/register-item",
            json!({ "name": "bolt", "unit": "Piece" }),
        ),
        (
            "/items/bolt/receive-stock",
            json!({ "quantity": 5, "received_on": "2026-12-06" }),
        ),
        (
            "/items/bolt/shelve",
            json!({ "location": { "aisle": "A", "shelf": 1 } }),
        ),
    ] {
        let (status, answer) = service.call("POST", path, Some(&body));
        assert_eq!(status, 200, "{path}: {answer}");
    }
    service.wait_for("/stock-level/bolt", |status, row| {
        status == 200 && row["on_hand"] == 5
    });
    tenants_apart_over_http(&mut service, &south);
    drop(service);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let admin = sqlx::PgPool::connect(&postgres_url()).await.unwrap();
        for (tenant, events) in [(&north, 3), (&south, 0)] {
            let schema = format!("tenant_{tenant}");
            let count: i64 =
                sqlx::query_scalar(&format!("SELECT count(*) FROM {schema}.eventwright_events"))
                    .fetch_one(&admin)
                    .await
                    .unwrap();
            assert_eq!(count, events, "{schema}");
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&admin)
                .await
                .unwrap();
        }
    });
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
