//! The Ordering model on every available stack: the project builds without a warning, passes
//! clippy, rustfmt and its own tests, and the running service serves commands and queries, its
//! projections catching up, on every mix of SQLite and PostgreSQL for events and SQLite,
//! PostgreSQL and Cassandra for read models, with the in-process bus and with Kafka between the
//! sides: the classic stack (PostgreSQL, Kafka, Cassandra) among them.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use eventwright_cli::model::ir::{Broker, ReadStore, WriteStore};
use eventwright_cli::stacks;
use serde_json::json;
use support::{
    Service, cargo, cargo_with_env, cassandra_nodes, generate, kafka_settings, postgres_url,
    scratch_cassandra, scratch_postgres, shared_target,
};

const CUSTOMER: &str = "5a4a3d43-7a8a-4b6e-9a53-0c1b5b0f7c11";

/// One test, the stacks in turn: every stack's project is the crate `ordering`, and they share
/// one target dir.
#[test]
fn ordering_service_builds_runs_and_answers_on_every_stack() {
    for stack in stacks::AVAILABLE {
        let label = stacks::name(stack);
        // Named after the stack, so a failure inside the project's own tests says which.
        let dir = tempfile::Builder::new()
            .prefix(&format!("{label}-"))
            .tempdir()
            .expect("a temp dir");
        let project = dir.path().join("ordering");
        generate("examples/ordering.yaml", &project, Some(*stack));

        let build = cargo(&project, &["build", "--all-targets"]);
        assert!(
            !build.contains("warning"),
            "{label}: the generated project builds with warnings:\n{build}"
        );
        cargo(
            &project,
            &["clippy", "--all-targets", "--", "-D", "warnings"],
        );
        cargo(&project, &["fmt", "--check"]);
        let schemas_before = scratch_schemas();
        let keyspaces_before = test_keyspaces();
        cargo_with_env(
            &project,
            &["test"],
            &[
                ("ORDERING_TEST_POSTGRES_URL", postgres_url()),
                ("ORDERING_TEST_CASSANDRA_NODES", cassandra_nodes()),
            ],
        );
        assert_eq!(
            scratch_schemas(),
            schemas_before,
            "{label}: the project's tests left schemas behind"
        );
        assert_eq!(
            test_keyspaces(),
            keyspaces_before,
            "{label}: the project's tests left keyspaces behind"
        );

        // The binary is copied out so the next stack's build cannot replace it under the service.
        let binary = dir.path().join("ordering-service");
        std::fs::copy(shared_target().join("debug/ordering"), &binary)
            .expect("the binary was built");
        let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
        let write_db = match stack.write {
            WriteStore::Sqlite => sqlite("events.db"),
            WriteStore::Postgres => scratch_postgres(),
        };
        let read_db = match stack.read {
            ReadStore::Sqlite => sqlite("views.db"),
            ReadStore::Postgres => scratch_postgres(),
            ReadStore::Cassandra => scratch_cassandra(),
        };
        let settings = match stack.broker {
            Broker::Inproc => Vec::new(),
            Broker::Kafka => kafka_settings(),
        };
        let service = Service::start_with(&binary, &write_db, &read_db, &settings);
        exercise(&service);
        answers_as_the_readme_says(&project, &service);
        let mut stores = vec![
            "--write-db".to_owned(),
            write_db.clone(),
            "--read-db".to_owned(),
            read_db.clone(),
        ];
        stores.extend(settings.iter().cloned());
        rebuild_while_serving(&service, &binary, &stores, &label);
    }
}

/// The scratch schemas on the test server.
fn scratch_schemas() -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pool = sqlx::PgPool::connect(&postgres_url()).await.unwrap();
        sqlx::query_scalar(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'scratch%' ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    })
}

/// The keyspaces generated projects' tests make (`test_<id>`) on the test cluster.
fn test_keyspaces() -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let session = scylla::client::session_builder::SessionBuilder::new()
            .known_nodes(cassandra_nodes().split(','))
            .build()
            .await
            .expect("the test nodes are up");
        let rows = session
            .query_unpaged("SELECT keyspace_name FROM system_schema.keyspaces", ())
            .await
            .unwrap()
            .into_rows_result()
            .unwrap();
        let mut names: Vec<String> = rows
            .rows::<(String,)>()
            .unwrap()
            .map(|row| row.unwrap().0)
            .filter(|name| name.starts_with("test_"))
            .collect();
        names.sort();
        names
    })
}

/// The generated README's shapes of a command's answer and of a list's are the service's.
fn answers_as_the_readme_says(project: &Path, service: &Service) {
    let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
    let shape = |after: &str| -> Vec<String> {
        let start = readme
            .find(after)
            .unwrap_or_else(|| panic!("{after} in\n{readme}"));
        let text = &readme[start + after.len()..];
        let shape = &text[..text.find('}').unwrap()];
        let mut names: Vec<String> = shape
            .split(',')
            .map(|name| name.trim().trim_matches('"').to_owned())
            .collect();
        names.sort();
        names
    };
    let keys = |body: &serde_json::Value| -> Vec<String> {
        let mut names: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
        names.sort();
        names
    };
    let order = "0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b03";
    let (status, body) = service.call(
        "POST",
        &format!("/orders/{order}/place-order"),
        Some(&json!({ "customer_id": CUSTOMER })),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys(&body), shape("A command answers `200 {"));
    let (status, body) = service.call(
        "GET",
        &format!("/orders-by-customer/{CUSTOMER}?limit=1"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys(&body), shape("a list answers\n`200 {"));
}

/// `projections rebuild` while the service serves and takes commands: the rebuilt read model
/// has the rows the live one had, follows the commands taken meanwhile, and the other read
/// model answers throughout.
fn rebuild_while_serving(service: &Service, binary: &Path, stores: &[String], label: &str) {
    const CUSTOMER_DURING: &str = "5a4a3d43-7a8a-4b6e-9a53-0c1b5b0f7c33";
    let summaries = |orders: &[String]| -> Vec<serde_json::Value> {
        orders
            .iter()
            .map(|order| {
                service
                    .call("GET", &format!("/order-summary/{order}"), None)
                    .1
            })
            .collect()
    };
    let before: Vec<String> = (0..20)
        .map(|n| format!("0b5e0d7e-1c53-4d4b-8f5e-{:012x}", 0x100 + n))
        .collect();
    let live = summaries(&before);

    let rebuild = Command::new(binary)
        .args([
            "projections",
            "rebuild",
            "order_summary",
            "--grace-seconds",
            "2",
        ])
        .args(stores)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rebuild starts");
    // Commands keep coming, and the other read model keeps answering with what they did.
    let mut during = Vec::new();
    let mut last_token = String::new();
    for n in 0..15 {
        let order = format!("0b5e0d7e-1c53-4d4b-8f5e-{:012x}", 0x200 + n);
        let (status, placed) = service.call(
            "POST",
            &format!("/orders/{order}/place-order"),
            Some(&json!({ "customer_id": CUSTOMER_DURING })),
        );
        assert_eq!(status, 200, "{label}: {placed}");
        last_token = placed["consistency_token"].as_str().unwrap().to_owned();
        let (status, page) = service.call_with(
            "GET",
            &format!("/orders-by-customer/{CUSTOMER_DURING}?limit=500"),
            None,
            &[("x-consistency-token", &last_token)],
        );
        assert_eq!(status, 200, "{label}: {page}");
        assert_eq!(
            page["items"].as_array().map(Vec::len),
            Some(n + 1),
            "{label}"
        );
        during.push(order);
        std::thread::sleep(Duration::from_millis(30));
    }
    let finished = rebuild.wait_with_output().expect("the rebuild ends");
    let stdout = String::from_utf8_lossy(&finished.stdout);
    assert!(
        finished.status.success() && stdout.contains("generation 1 is active"),
        "{label}: the rebuild failed: {stdout}\n{}",
        String::from_utf8_lossy(&finished.stderr)
    );

    // The rebuilt generation answers: the same rows as before, and the orders placed meanwhile.
    assert_eq!(summaries(&before), live, "{label}: rows after the rebuild");
    let last = during.last().unwrap();
    let (status, summary) = service.call_with(
        "GET",
        &format!("/order-summary/{last}"),
        None,
        &[("x-consistency-token", &last_token)],
    );
    assert_eq!(
        (status, summary["status"].as_str()),
        (200, Some("Draft")),
        "{label}: {summary}"
    );
    for summary in summaries(&during) {
        assert_eq!(
            summary["customer_id"], CUSTOMER_DURING,
            "{label}: {summary}"
        );
    }

    // Status shows the new generation, caught up, its tables built for the projection as it is:
    // projection, generation, checkpoint, behind, tables.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = Command::new(binary)
            .args(["projections", "status"])
            .args(stores)
            .output()
            .expect("status runs");
        let text = String::from_utf8_lossy(&status.stdout).into_owned();
        let summary_line = text.lines().find(|line| line.starts_with("order_summary"));
        let fields: Vec<&str> = summary_line.map_or(Vec::new(), |l| l.split_whitespace().collect());
        if status.status.success()
            && fields.get(1) == Some(&"1")
            && fields.get(3) == Some(&"0")
            && fields.get(4) == Some(&"current")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{label}: status never showed generation 1 caught up:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Commands, queries, pagination and bad requests against a running Ordering service.
fn exercise(service: &Service) {
    let order = "0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b01";
    let other = "0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b02";
    let line = |product: &str| json!({ "line": { "product_id": product, "quantity": 2, "unit_price": "9.50" } });

    // The happy path: place, fill, change, check out.
    let (status, body) = service.call(
        "POST",
        &format!("/orders/{order}/place-order"),
        Some(&json!({ "customer_id": CUSTOMER })),
    );
    assert_eq!((status, body["version"].clone()), (200, json!(1)), "{body}");
    for (path, payload) in [
        ("add-item", line("apple")),
        ("add-item", line("pear")),
        ("remove-item", json!({ "product_id": "apple" })),
        ("check-out", json!({})),
    ] {
        let (status, body) =
            service.call("POST", &format!("/orders/{order}/{path}"), Some(&payload));
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (status, body) = service.call(
        "POST",
        &format!("/orders/{other}/place-order"),
        Some(&json!({ "customer_id": CUSTOMER })),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = service.call(
        "POST",
        &format!("/orders/{other}/cancel-order"),
        Some(&json!({ "reason": "changed my mind" })),
    );
    assert_eq!((status, body["version"].clone()), (200, json!(2)), "{body}");

    // The read side catches up.
    let summary = service.wait_for(&format!("/order-summary/{order}"), |status, body| {
        status == 200 && body["status"] == "CheckedOut"
    });
    assert_eq!(summary["customer_id"], CUSTOMER);
    assert_eq!(
        summary["lines"],
        json!([{ "product_id": "pear", "quantity": 2, "unit_price": "9.50" }])
    );
    // A field of each line: the order holds a pear and no longer an apple.
    let with_pear = service.wait_for("/orders-with-product/pear", |status, body| {
        status == 200
            && body["items"]
                .as_array()
                .is_some_and(|items| items.len() == 1)
    });
    assert_eq!(with_pear["items"][0]["order_id"], order);
    let (status, with_apple) = service.call("GET", "/orders-with-product/apple", None);
    assert_eq!(
        (status, with_apple["items"].clone()),
        (200, json!([])),
        "the removed line's product lists nothing"
    );

    // Until both orders' last events are projected: two rows alone may still show either as a
    // draft, and behind a partitioned broker the two orders' events arrive in no common order
    // (the cancellation may be projected before the other order's checkout).
    let history = service.wait_for(&format!("/orders-by-customer/{CUSTOMER}"), |_, body| {
        body["items"].as_array().is_some_and(|items| {
            items.len() == 2 && items.iter().all(|item| item["status"] != "Draft")
        })
    });
    let statuses: Vec<_> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [json!("CheckedOut"), json!("Cancelled")],
        "rows in key order: {history}"
    );
    assert_eq!(history["next_cursor"], json!(null));

    // Operations: probes, the API's own description, and metrics of what just happened.
    assert_eq!(service.call("GET", "/health", None).0, 200);
    assert_eq!(
        service.call("GET", "/ready", None),
        (200, json!({ "status": "ready" }))
    );
    let (status, openapi) = service.call("GET", "/openapi.json", None);
    assert_eq!((status, openapi["openapi"].clone()), (200, json!("3.0.3")));
    let (status, metrics) = service.get_text("/metrics");
    assert_eq!(status, 200);
    for line in [
        "eventwright_commands_total{command=\"place_order\",outcome=\"accepted\"} 2",
        "eventwright_projection_events_total{projection=\"order_summary\"}",
        "eventwright_projection_lag_seconds{projection=\"order_history\"}",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }

    // Pagination: one row per page, following the cursor.
    let (_, first) = service.call(
        "GET",
        &format!("/orders-by-customer/{CUSTOMER}?limit=1"),
        None,
    );
    assert_eq!(first["items"][0]["order_id"], order);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, second) = service.call(
        "GET",
        &format!("/orders-by-customer/{CUSTOMER}?limit=1&cursor={cursor}"),
        None,
    );
    assert_eq!(second["items"][0]["order_id"], other);
    assert_eq!(second["next_cursor"], json!(null));

    // The workflows: the checked-out order waits for its payment (a pending timer of
    // `payment-deadline`), and paying it ships it (the `ship-paid-orders` policy sends
    // `ShipOrder`), on every stack.
    let metrics = |name: &str| {
        let (_, text) = service.get_text("/metrics");
        text.lines()
            .find(|line| line.starts_with(name))
            .map(str::to_owned)
    };
    let started = Instant::now();
    while metrics("eventwright_workflow_pending_timers{workflow=\"payment-deadline\"}")
        .is_none_or(|line| !line.ends_with(" 1"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no pending payment timer"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, body) = service.call(
        "POST",
        &format!("/orders/{order}/pay-order"),
        Some(&json!({})),
    );
    assert_eq!(status, 200, "{body}");
    service.wait_for(&format!("/order-summary/{order}"), |status, body| {
        status == 200 && body["status"] == "Shipped"
    });

    // Client mistakes get 4xx bodies that say what and where.
    let cases = [
        (
            "POST",
            format!("/orders/{order}/add-item"),
            Some(line("kiwi")),
            409,
            "rejected",
            None,
        ),
        (
            "POST",
            format!("/orders/{order}/place-order"),
            Some(json!({ "customer_id": CUSTOMER })),
            409,
            "already_exists",
            None,
        ),
        (
            "POST",
            "/orders/0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b99/check-out".to_owned(),
            Some(json!({})),
            404,
            "not_found",
            None,
        ),
        (
            "POST",
            "/orders/not-a-uuid/check-out".to_owned(),
            Some(json!({})),
            400,
            "invalid_field",
            Some("order_id"),
        ),
        (
            "POST",
            format!("/orders/{other}/place-order"),
            Some(json!({})),
            400,
            "invalid_field",
            Some("customer_id"),
        ),
        (
            "POST",
            format!("/orders/{other}/place-order"),
            Some(json!({ "customer_id": 7 })),
            400,
            "invalid_field",
            Some("customer_id"),
        ),
        (
            "POST",
            format!("/orders/{other}/add-item"),
            Some(json!({ "line": { "product_id": "", "quantity": 0, "unit_price": "1" } })),
            400,
            "invalid_field",
            Some("line.product_id"),
        ),
        (
            "POST",
            format!("/orders/{other}/place-order"),
            Some(json!({ "customer_id": CUSTOMER, "colour": "red" })),
            400,
            "invalid_field",
            Some("colour"),
        ),
        (
            "GET",
            "/order-summary/0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b99".to_owned(),
            None,
            404,
            "not_found",
            None,
        ),
        (
            "GET",
            format!("/orders-by-customer/{CUSTOMER}?limit=0"),
            None,
            400,
            "invalid_field",
            Some("limit"),
        ),
        (
            "GET",
            format!("/orders-by-customer/{CUSTOMER}?cursor=zz"),
            None,
            400,
            "invalid_field",
            Some("cursor"),
        ),
    ];
    for (method, path, payload, status, code, field) in cases {
        let (got, body) = service.call(method, &path, payload.as_ref());
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {body}"
        );
        if let Some(field) = field {
            assert_eq!(body["field"], field, "{method} {path}: {body}");
        }
    }
    let (status, body) = service.post_raw(&format!("/orders/{order}/check-out"), "{oops");
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_json")),
        "{body}"
    );
    read_your_writes(service);
}

/// Read your writes: a query holding a command's consistency token sees the command's effect,
/// every time, without polling.
fn read_your_writes(service: &Service) {
    const BUYER: &str = "5a4a3d43-7a8a-4b6e-9a53-0c1b5b0f7c22";
    let token = |body: &serde_json::Value| {
        body["consistency_token"]
            .as_str()
            .unwrap_or_else(|| panic!("a consistency token in {body}"))
            .to_owned()
    };
    for n in 0..20 {
        let order = format!("0b5e0d7e-1c53-4d4b-8f5e-{:012x}", 0x100 + n);
        let (status, placed) = service.call(
            "POST",
            &format!("/orders/{order}/place-order"),
            Some(&json!({ "customer_id": BUYER })),
        );
        assert_eq!(status, 200, "{placed}");
        let placed = token(&placed);
        let (status, summary) = service.call_with(
            "GET",
            &format!("/order-summary/{order}"),
            None,
            &[("x-consistency-token", &placed)],
        );
        assert_eq!(
            (status, summary["status"].as_str()),
            (200, Some("Draft")),
            "order {n}: {summary}"
        );
        let (status, added) = service.call(
            "POST",
            &format!("/orders/{order}/add-item"),
            Some(&json!({ "line": { "product_id": "fig", "quantity": 1, "unit_price": "2.00" } })),
        );
        assert_eq!(status, 200, "{added}");
        let added = token(&added);
        let (status, summary) = service.call_with(
            "GET",
            &format!("/order-summary/{order}"),
            None,
            &[("x-consistency-token", &added)],
        );
        assert_eq!(status, 200, "{summary}");
        assert_eq!(
            summary["lines"].as_array().map(Vec::len),
            Some(1),
            "order {n}: {summary}"
        );
        let (status, page) = service.call_with(
            "GET",
            &format!("/orders-by-customer/{BUYER}?limit=500"),
            None,
            &[("x-consistency-token", &placed)],
        );
        assert_eq!(status, 200, "{page}");
        let listed = page["items"].as_array().map_or(0, Vec::len);
        assert_eq!(
            listed,
            n + 1,
            "order {n}: the list shows every order placed so far"
        );
    }
    // A token this service did not hand out names the header.
    let (status, body) = service.call_with(
        "GET",
        &format!("/orders-by-customer/{BUYER}"),
        None,
        &[("x-consistency-token", "0123")],
    );
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("header x-consistency-token")),
        "{body}"
    );
}
