//! The Ordering service on PostgreSQL as an operator meets it: the generated SQL files create
//! exactly the schema the stores create themselves, an unreachable database ends the service
//! quickly with a message that names it without the password, and a service killed under load
//! comes back with read models that match its events.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use eventwright::store::postgres::{self, PgPool, Retry};
use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::{Value, json};
use support::{Service, cargo, generate, scratch_postgres, shared_target};

/// The generated project on postgres/postgres, built once for every test here.
struct Built {
    binary: PathBuf,
    /// `migrations/postgres/{write,read}/*.sql` as generated, each directory in file-name order.
    write_sql: Vec<(String, String)>,
    read_sql: Vec<(String, String)>,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temp dir");
        let project = dir.path().join("ordering");
        let stack = Stores {
            write: WriteStore::Postgres,
            read: ReadStore::Postgres,
            broker: Broker::Inproc,
        };
        generate("examples/ordering.yaml", &project, Some(stack));
        cargo(&project, &["build", "--bin", "ordering"]);
        // Out of the way of the other tests' builds, which replace target/debug/ordering.
        let binary = shared_target().join("e2e-bin/ordering-postgres-postgres");
        std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
        std::fs::copy(shared_target().join("debug/ordering"), &binary)
            .expect("the binary was built");
        Built {
            binary,
            write_sql: sql_files(&project.join("migrations/postgres/write")),
            read_sql: sql_files(&project.join("migrations/postgres/read")),
        }
    })
}

fn sql_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Runs `work` with a pool on `url`, on a runtime of its own.
fn with_pool<T>(url: &str, work: impl AsyncFnOnce(&PgPool) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pool = postgres::connect(url, 1, Retry::default())
            .await
            .expect("the test server is up");
        let result = work(&pool).await;
        pool.close().await;
        result
    })
}

/// Every column, index and constraint of the current schema, one line each, with nothing that
/// names the schema: two schemas with the same tables have the same catalog.
fn catalog(url: &str) -> Vec<String> {
    with_pool(url, async |pool| {
        let mut lines = Vec::new();
        for sql in [
            "SELECT format('column %s.%s %s nullable=%s default=%s identity=%s', table_name, \
             column_name, data_type, is_nullable, column_default, identity_generation) \
             FROM information_schema.columns WHERE table_schema = current_schema()",
            "SELECT format('index %s: %s', indexname, \
             replace(indexdef, current_schema() || '.', '')) \
             FROM pg_indexes WHERE schemaname = current_schema()",
            "SELECT format('constraint %s %s: %s', conrelid::regclass, conname, \
             pg_get_constraintdef(oid)) \
             FROM pg_constraint WHERE connamespace = current_schema()::regnamespace",
        ] {
            let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(pool).await.unwrap();
            lines.extend(rows.into_iter().map(|(line,)| line));
        }
        lines.sort();
        lines
    })
}

/// The files create what `prepare()` creates, no more and no less, and the service starts and
/// serves on a schema made by the files alone.
#[test]
fn the_generated_sql_files_create_the_schema_the_service_expects() {
    let built = built();

    let from_files = scratch_postgres();
    with_pool(&from_files, async |pool| {
        for (name, sql) in built.write_sql.iter().chain(&built.read_sql) {
            sqlx::raw_sql(sql)
                .execute(pool)
                .await
                .unwrap_or_else(|error| panic!("{name}: {error}"));
        }
    });
    // Before the service runs: its prepare() would add whatever the files lack.
    let files_catalog = catalog(&from_files);
    assert!(
        files_catalog
            .iter()
            .any(|line| line.contains("order_summary")),
        "{files_catalog:#?}"
    );

    let from_prepare = scratch_postgres();
    drop(Service::start(&built.binary, &from_prepare, &from_prepare));
    let prepare_catalog = catalog(&from_prepare);
    let missing: Vec<&String> = prepare_catalog
        .iter()
        .filter(|line| !files_catalog.contains(line))
        .collect();
    let extra: Vec<&String> = files_catalog
        .iter()
        .filter(|line| !prepare_catalog.contains(line))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the SQL files and prepare() disagree\nonly prepare() creates: {missing:#?}\nonly the files \
         create: {extra:#?}"
    );

    let service = Service::start(&built.binary, &from_files, &from_files);
    let order = "6f1c2a9e-3b7d-4c2e-9a41-1d2e3f4a5b60";
    let customer = "6f1c2a9e-3b7d-4c2e-9a41-1d2e3f4a5b61";
    let (status, body) = service.call(
        "POST",
        &format!("/orders/{order}/place-order"),
        Some(&json!({ "customer_id": customer })),
    );
    assert_eq!(status, 200, "{body}");
    let line = json!({ "product_id": "fig", "quantity": 3, "unit_price": "0.40" });
    let (status, body) = service.call(
        "POST",
        &format!("/orders/{order}/add-item"),
        Some(&json!({ "line": line })),
    );
    assert_eq!(status, 200, "{body}");
    service.wait_for(&format!("/order-summary/{order}"), |status, body| {
        status == 200 && body["lines"] == json!([line])
    });
    service.wait_for(&format!("/orders-by-customer/{customer}"), |_, body| {
        body["items"][0]["order_id"] == order
    });
    assert_eq!(
        catalog(&from_files),
        files_catalog,
        "startup changed nothing"
    );
}

/// A database that cannot be reached ends the service with an error, after its retries, that
/// says which server and database, and never shows the password.
#[test]
fn an_unreachable_database_stops_the_service_with_a_message_that_keeps_the_password() {
    let built = built();
    let url = "postgres://ordering:s3cret@127.0.0.1:1/ordering";
    let started = Instant::now();
    let mut child = Command::new(&built.binary)
        .args(["serve", "--bind", "127.0.0.1:0", "--write-db", url])
        .args(["--read-db", url, "--connect-attempts", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the service starts");
    while child.try_wait().unwrap().is_none() {
        // Each try may wait for the pool's 10 s acquire timeout.
        if started.elapsed() > Duration::from_secs(45) {
            let _ = child.kill();
            panic!("the service was still trying after 45 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it exits non-zero: {stderr}");
    assert!(
        stderr.contains("127.0.0.1:1/ordering"),
        "names the host and database:\n{stderr}"
    );
    assert!(stderr.contains("after 2 attempts"), "{stderr}");
    // The retry is logged (on stdout): that log line keeps the password too.
    assert!(stdout.contains("retrying"), "{stdout}");
    for text in [&stdout, &stderr] {
        assert!(!text.contains("s3cret"), "the password leaked:\n{text}");
        assert!(!text.contains("panicked"), "a panic, not an error:\n{text}");
    }
}

const THREADS: usize = 4;
const ORDERS_PER_THREAD: usize = 15;
/// Commands per order: place, add two items, remove one, then check out or cancel.
const STEPS: usize = 5;
/// The service is killed once this many commands have been acknowledged (of 300).
const KILL_AFTER: usize = 120;

/// A command the service answered 200: the order, the version it reported, the event expected.
#[derive(Debug)]
struct Acknowledged {
    order: String,
    version: u64,
    event: &'static str,
}

/// Several clients send commands; the service is killed with SIGKILL in the middle and started
/// again on the same databases. Every acknowledged command's event is in the store, and once the
/// projections catch up each row is exactly the fold of its order's events: nothing lost,
/// nothing applied twice.
#[test]
fn a_service_killed_under_load_restarts_with_read_models_that_match_the_events() {
    let built = built();
    let (write_db, read_db) = (scratch_postgres(), scratch_postgres());
    let mut service = Service::start(&built.binary, &write_db, &read_db);

    let acknowledged = Arc::new(Mutex::new(Vec::<Acknowledged>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(Mutex::new(Vec::<String>::new()));
    let clients: Vec<_> = (0..THREADS)
        .map(|thread| {
            let base = service.base.clone();
            let (acknowledged, count, refused) = (
                Arc::clone(&acknowledged),
                Arc::clone(&count),
                Arc::clone(&refused),
            );
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(10)))
                    .build()
                    .into();
                for n in 0..ORDERS_PER_THREAD {
                    let order = format!("00000000-0000-4000-8000-{thread:04}{n:08}");
                    for step in 0..STEPS {
                        let (command, event, body) = command_body(thread, n, step);
                        let url = format!("{base}/orders/{order}/{command}");
                        let Ok(mut response) = agent
                            .post(&url)
                            .header("content-type", "application/json")
                            .send(body.to_string())
                        else {
                            // The service is gone: this client is done.
                            return;
                        };
                        let status = response.status().as_u16();
                        let text = response.body_mut().read_to_string().unwrap_or_default();
                        if status != 200 {
                            refused
                                .lock()
                                .unwrap()
                                .push(format!("{command} {order}: {status} {text}"));
                            return;
                        }
                        let Ok(reply) = serde_json::from_str::<Value>(&text) else {
                            return;
                        };
                        acknowledged.lock().unwrap().push(Acknowledged {
                            order: order.clone(),
                            version: reply["version"].as_u64().expect("a version"),
                            event,
                        });
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(60);
    while count.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(Instant::now() < deadline, "the load never got going");
        assert!(
            refused.lock().unwrap().is_empty(),
            "{:?}",
            refused.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    service.kill();
    for client in clients {
        client.join().expect("a client thread");
    }
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(
        refused.lock().unwrap().is_empty(),
        "{:?}",
        refused.lock().unwrap()
    );
    assert!(
        acknowledged.len() < THREADS * ORDERS_PER_THREAD * STEPS,
        "the kill came after the load had finished"
    );

    let service = Service::start(&built.binary, &write_db, &read_db);
    let events = stored_events(&write_db);
    for ack in &acknowledged {
        let stream = events.get(&ack.order).map(Vec::as_slice).unwrap_or(&[]);
        let recorded = stream.get(ack.version as usize - 1).map(|(kind, _)| kind);
        assert_eq!(
            recorded.map(String::as_str),
            Some(ack.event),
            "acknowledged but not stored as such: {ack:?}"
        );
    }

    // The projections resume from their checkpoints; give them a bounded time to catch up.
    let (summaries, histories) = fold(&events);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (rows, history_rows) = (
            table(&read_db, "order_summary"),
            table(&read_db, "order_history"),
        );
        if rows == summaries && history_rows == histories {
            break;
        }
        if Instant::now() > deadline {
            let differing: Vec<_> = summaries
                .iter()
                .filter(|(key, row)| rows.get(*key) != Some(row))
                .map(|(key, row)| (key, row, rows.get(key)))
                .collect();
            let history_differing: Vec<_> = histories
                .iter()
                .filter(|(key, row)| history_rows.get(*key) != Some(row))
                .map(|(key, row)| (key, row, history_rows.get(key)))
                .take(3)
                .collect();
            panic!(
                "order_summary: {} rows for {} orders; {} differ from the events, e.g. {:#?}\n\
                 order_history differs, e.g. {:#?}",
                rows.len(),
                summaries.len(),
                differing.len(),
                differing.iter().take(3).collect::<Vec<_>>(),
                history_differing
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(service);
}

/// Step `step` of order `n` of a client: the command, the event it records, and its body.
fn command_body(thread: usize, n: usize, step: usize) -> (&'static str, &'static str, Value) {
    let line = |product: &str| json!({ "line": { "product_id": product, "quantity": step + 1, "unit_price": "2.50" } });
    match step {
        0 => (
            "place-order",
            "OrderPlaced",
            json!({ "customer_id": format!("00000000-0000-4000-9000-{thread:012}") }),
        ),
        1 => ("add-item", "ItemAdded", line("apple")),
        2 => ("add-item", "ItemAdded", line("pear")),
        3 => (
            "remove-item",
            "ItemRemoved",
            json!({ "product_id": "apple" }),
        ),
        _ if n.is_multiple_of(2) => ("check-out", "OrderCheckedOut", json!({})),
        _ => (
            "cancel-order",
            "OrderCancelled",
            json!({ "reason": "changed my mind" }),
        ),
    }
}

/// Each order's events in sequence order: (type, payload). Sequences start at 1 with no gaps.
fn stored_events(url: &str) -> BTreeMap<String, Vec<(String, Value)>> {
    let rows: Vec<(String, i64, String, String)> = with_pool(url, async |pool| {
        sqlx::query_as(
            "SELECT aggregate_id, sequence, event_type, payload::text FROM eventwright_events \
             ORDER BY aggregate_id, sequence",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    });
    let mut events: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for (order, sequence, kind, payload) in rows {
        let stream = events.entry(order.clone()).or_default();
        assert_eq!(
            sequence as usize,
            stream.len() + 1,
            "a gap in {order}'s events"
        );
        stream.push((kind, serde_json::from_str(&payload).unwrap()));
    }
    events
}

/// What `order_summary` and `order_history` must hold for these events, by order id.
fn fold(
    events: &BTreeMap<String, Vec<(String, Value)>>,
) -> (BTreeMap<String, Value>, BTreeMap<String, Value>) {
    let mut summaries = BTreeMap::new();
    let mut histories = BTreeMap::new();
    for (order, stream) in events {
        let (mut customer, mut status, mut lines) = (Value::Null, "", Vec::<Value>::new());
        for (kind, payload) in stream {
            match kind.as_str() {
                "OrderPlaced" => {
                    customer = payload["customer_id"].clone();
                    status = "Draft";
                }
                "ItemAdded" => lines.push(payload["line"].clone()),
                "ItemRemoved" => lines.retain(|line| line["product_id"] != payload["product_id"]),
                "OrderCheckedOut" => status = "CheckedOut",
                "OrderCancelled" => status = "Cancelled",
                other => panic!("an event the Ordering model does not have: {other}"),
            }
        }
        summaries.insert(
            order.clone(),
            json!({ "order_id": order, "customer_id": customer, "status": status, "lines": lines }),
        );
        let placed_at = stream
            .iter()
            .find(|(kind, _)| kind == "OrderPlaced")
            .map_or(Value::Null, |(_, payload)| micros(&payload["placed_at"]));
        histories.insert(
            order.clone(),
            json!({ "order_id": order, "customer_id": customer, "status": status, "placed_at": placed_at }),
        );
    }
    (summaries, histories)
}

/// Every row of a read-model table as JSON, by its `order_id`.
fn table(url: &str, name: &str) -> BTreeMap<String, Value> {
    let rows: Vec<(String,)> = with_pool(url, async |pool| {
        sqlx::query_as(&format!("SELECT row_to_json(t)::text FROM {name} t"))
            .fetch_all(pool)
            .await
            .unwrap()
    });
    rows.into_iter()
        .map(|(row,)| {
            let mut row: Value = serde_json::from_str(&row).unwrap();
            if let Some(at) = row.get("placed_at").map(micros) {
                row["placed_at"] = at;
            }
            (row["order_id"].as_str().unwrap().to_owned(), row)
        })
        .collect()
}

/// A timestamp as microseconds since the epoch, as the read model keeps it: the event carries
/// nanoseconds, the `TIMESTAMPTZ` column microseconds, which the driver's encoding truncates to.
fn micros(text: &Value) -> Value {
    let at = chrono::DateTime::parse_from_rfc3339(text.as_str().expect("a timestamp"))
        .expect("an RFC 3339 timestamp");
    let nanos = at.timestamp_nanos_opt().expect("a timestamp in range");
    json!(nanos.div_euclid(1000))
}
