//! The Ordering service with its read models in Cassandra: the generated CQL files create
//! exactly the tables the service creates, and a client that is not ours (the Python
//! `cassandra-driver` from PyPI) reads what the service wrote, by the same keys and lists.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::value::{CqlValue, Row};
use serde_json::{Value, json};
use support::{Service, build_service, cassandra_nodes, generate};

const CUSTOMER: &str = "5a4a3d43-7a8a-4b6e-9a53-0c1b5b0f7c11";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn session() -> Session {
    SessionBuilder::new()
        .known_nodes(cassandra_nodes().split(','))
        .build()
        .await
        .expect("the test nodes are up")
}

/// Every column of every table in `keyspace`: (table, column, kind, type, clustering order,
/// position).
async fn catalog(session: &Session, keyspace: &str) -> BTreeSet<String> {
    let rows = session
        .query_unpaged(
            "SELECT table_name, column_name, kind, type, clustering_order, position \
             FROM system_schema.columns WHERE keyspace_name = ?",
            (keyspace,),
        )
        .await
        .unwrap()
        .into_rows_result()
        .unwrap();
    rows.rows::<Row>()
        .unwrap()
        .map(|row| {
            let row = row.unwrap();
            let cells: Vec<String> = row
                .columns
                .iter()
                .map(|cell| match cell {
                    Some(CqlValue::Text(text)) => text.clone(),
                    Some(CqlValue::Int(n)) => n.to_string(),
                    other => format!("{other:?}"),
                })
                .collect();
            cells.join(" ")
        })
        .collect()
}

/// The statements of a CQL file, comments dropped.
fn statements(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(';')
        .map(str::trim)
        .filter(|statement| !statement.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn cql_files_match_the_service_and_another_client_reads_its_tables() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("ordering");
    let stack = Stores {
        write: WriteStore::Sqlite,
        read: ReadStore::Cassandra,
        broker: Broker::Inproc,
    };
    generate("examples/ordering.yaml", &project, Some(stack));
    let binary = build_service(&project, "ordering", dir.path().join("ordering-cassandra"));

    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (by_service, by_files) = (format!("svc_{suffix}"), format!("cql_{suffix}"));
    let write_db = format!("sqlite://{}", dir.path().join("events.db").display());
    let read_db = format!("cassandra://{}/{by_service}", cassandra_nodes());
    let service = Service::start(&binary, &write_db, &read_db);

    // The files, applied in file-name order to a keyspace of their own, make the same tables,
    // columns, types and keys as the service made at startup.
    let runtime = runtime();
    let (made, applied) = runtime.block_on(async {
        let session = session().await;
        let mut files: Vec<_> = std::fs::read_dir(project.join("migrations/cassandra"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 4, "{files:?}");
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            assert!(text.contains("\"ordering\""), "{}", file.display());
            for statement in statements(&text.replace("\"ordering\"", &format!("\"{by_files}\""))) {
                session
                    .query_unpaged(statement.as_str(), ())
                    .await
                    .unwrap_or_else(|error| panic!("{}: {statement}: {error}", file.display()));
            }
        }
        (
            catalog(&session, &by_service).await,
            catalog(&session, &by_files).await,
        )
    });
    assert!(made.len() > 10, "{made:?}");
    assert_eq!(made, applied, "the CQL files and the service disagree");

    // The service writes; the Python driver reads.
    let order = "0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b01";
    let (status, body) = service.call(
        "POST",
        &format!("/orders/{order}/place-order"),
        Some(&json!({ "customer_id": CUSTOMER })),
    );
    assert_eq!(status, 200, "{body}");
    let line = json!({ "line": { "product_id": "pear", "quantity": 2, "unit_price": "9.50" } });
    let (status, body) = service.call("POST", &format!("/orders/{order}/add-item"), Some(&line));
    assert_eq!(status, 200, "{body}");
    service.wait_for(&format!("/order-summary/{order}"), |status, body| {
        status == 200
            && body["lines"]
                .as_array()
                .is_some_and(|lines| lines.len() == 1)
    });
    service.wait_for(&format!("/orders-by-customer/{CUSTOMER}"), |_, body| {
        body["items"]
            .as_array()
            .is_some_and(|items| items.len() == 1)
    });

    let python = std::env::var("EVENTWRIGHT_CASSANDRA_PYTHON")
        .expect("EVENTWRIGHT_CASSANDRA_PYTHON is set by scripts/services.sh");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cassandra_reader.py");
    let output = std::process::Command::new(python)
        .arg(&script)
        .args([&cassandra_nodes(), &by_service, order, CUSTOMER])
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: Value = serde_json::from_slice(&output.stdout).expect("the reader prints JSON");
    assert_eq!(read["summary"]["customer_id"], CUSTOMER);
    assert_eq!(read["summary"]["status"], "Draft");
    assert_eq!(
        serde_json::from_str::<Value>(read["summary"]["lines"].as_str().unwrap()).unwrap(),
        json!([{ "product_id": "pear", "quantity": 2, "unit_price": "9.50" }])
    );
    assert_eq!(read["summary"]["eventwright_deleted"], false);
    assert_eq!(read["by_customer"], json!([[order, "Draft"]]));
}
