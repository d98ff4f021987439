//! A generated service's workflows under kill -9. The warehouse model (`tests/models/`) reserves
//! each order's stock, waits four seconds for its payment, and cancels it (releasing the stock)
//! when none came; an order whose stock is refused is cancelled at once. Orders are placed and
//! paid while the service is killed with SIGKILL at random points twenty times and started
//! again. Then a fold of the stored events, independent of the library, shows every order ended
//! once (paid, or cancelled), no command took effect twice (no second reservation or release
//! of one order), no timer was lost (every unpaid order was cancelled) and the stock adds up.
//! On SQLite with the in-process bus, and on PostgreSQL with Kafka.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::{Value, json};
use support::{Service, build_service, generate, kafka_settings, scratch_postgres};

/// How many times the service is killed.
const KILLS: usize = 20;
/// What each SKU's shelf holds at the start: less than the orders ask, so some are refused.
const SHELF: [(&str, i64); 2] = [("apple", 40), ("pear", 8)];

/// A small deterministic random walk, so a failing run can be replayed from its seed.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Sends a command until the service answers it (a killed service answers nothing): the status
/// and body of the answer.
fn send(service: &Service, path: &str, body: Value) -> (u16, Value) {
    service.call("POST", path, Some(&body))
}

/// Places and pays orders across `KILLS` crashes, then waits for every order to end.
fn survive(
    binary: &std::path::Path,
    write_db: &str,
    read_db: &str,
    settings: &[String],
    events: impl Fn() -> Vec<(String, String, String, Value)>,
) {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |elapsed| elapsed.as_nanos() as u64);
    eprintln!("workflows under kill -9: seed {seed}");
    let mut dice = Dice(seed);
    let mut service = Service::start_with(binary, write_db, read_db, settings);
    for (sku, quantity) in SHELF {
        let (status, body) = send(
            &service,
            &format!("/stocks/{sku}/open-stock"),
            json!({ "quantity": quantity }),
        );
        assert_eq!(status, 200, "{body}");
    }
    let mut placed: Vec<String> = Vec::new();
    let mut paid: Vec<String> = Vec::new();
    for round in 0..KILLS {
        for _ in 0..3 {
            let order = format!("o-{:02}", placed.len());
            let sku = if placed.len() % 3 == 2 {
                "pear"
            } else {
                "apple"
            };
            let body = json!({ "sku": sku, "quantity": 1 + dice.below(2) });
            let (status, answer) = send(&service, &format!("/orders/{order}/place-order"), body);
            assert!(status == 200, "placing {order}: {status} {answer}");
            placed.push(order);
        }
        // Every other order is paid, once its stock is reserved; the others wait for their
        // deadline.
        for order in placed.iter().step_by(2) {
            if paid.contains(order) {
                continue;
            }
            let (status, answer) = send(&service, &format!("/orders/{order}/pay-order"), json!({}));
            match (status, answer["code"].as_str()) {
                (200, _) | (409, Some("paid")) => paid.push(order.clone()),
                (409, Some("not_reserved" | "cancelled")) => {}
                other => panic!("paying {order}: {other:?} {answer}"),
            }
        }
        // Mostly while the workflows are still at the round's events, between a command they
        // sent and the step they keep; now and then once they have caught up.
        let pause = if round % 4 == 3 {
            300 + dice.below(500)
        } else {
            dice.below(25)
        };
        std::thread::sleep(Duration::from_millis(pause));
        service.kill();
        eprintln!("kill {} of {KILLS}", round + 1);
        service = Service::start_with(binary, write_db, read_db, settings);
    }
    // Steady again, fresh orders are paid as soon as their stock is reserved, well before
    // their deadline: both endings happen whatever the kills left.
    let fresh: Vec<String> = (0..4).map(|n| format!("f-{n}")).collect();
    for order in &fresh {
        let body = json!({ "sku": "apple", "quantity": 1 });
        let (status, answer) = send(&service, &format!("/orders/{order}/place-order"), body);
        assert_eq!(status, 200, "placing {order}: {answer}");
        placed.push(order.clone());
    }
    let started = Instant::now();
    let mut open = fresh;
    while !open.is_empty() && started.elapsed() < Duration::from_secs(60) {
        open.retain(|order| {
            let (status, answer) = send(&service, &format!("/orders/{order}/pay-order"), json!({}));
            match (status, answer["code"].as_str()) {
                (200, _) | (409, Some("paid" | "cancelled")) => false,
                (409, Some("not_reserved")) => true,
                other => panic!("paying {order}: {other:?} {answer}"),
            }
        });
        std::thread::sleep(Duration::from_millis(100));
    }
    // Every order ends: paid, or cancelled by its refused stock or its deadline.
    let started = Instant::now();
    loop {
        let log = events();
        let ended = placed.iter().all(|order| {
            log.iter().any(|(id, _, kind, _)| {
                id == order && (kind == "OrderPaid" || kind == "OrderCancelled")
            })
        });
        let released = log
            .iter()
            .filter(|(_, _, kind, _)| kind == "StockReleased")
            .count();
        let timed_out = log
            .iter()
            .filter(|(_, _, kind, payload)| {
                kind == "OrderCancelled" && payload["reason"] == "payment_timeout"
            })
            .count();
        if ended && released >= timed_out {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "orders still open after two minutes"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Anything sent twice would have been sent by now.
    std::thread::sleep(Duration::from_secs(2));
    drop(service);
    check(&placed, &events());
}

/// The fold: each order's and each SKU's events, by type.
fn check(placed: &[String], log: &[(String, String, String, Value)]) {
    let of = |id: &str, kind: &str| {
        log.iter()
            .filter(|(aggregate, _, event, _)| aggregate == id && event == kind)
            .count()
    };
    let on_stock = |order: &str, kind: &str| {
        log.iter()
            .filter(|(_, aggregate_type, event, payload)| {
                aggregate_type == "Stock" && event == kind && payload["order_id"] == order
            })
            .count()
    };
    let mut paid_quantity: BTreeMap<String, i64> = BTreeMap::new();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for order in placed {
        let (paid, cancelled) = (of(order, "OrderPaid"), of(order, "OrderCancelled"));
        assert_eq!(
            paid + cancelled,
            1,
            "{order} ended once: paid {paid}, cancelled {cancelled}"
        );
        let (reserved, released) = (
            on_stock(order, "StockReserved"),
            on_stock(order, "StockReleased"),
        );
        assert!(
            reserved <= 1,
            "{order}'s stock reserved {reserved} times: a command took effect twice"
        );
        assert!(
            released <= 1,
            "{order}'s stock released {released} times: a command took effect twice"
        );
        let placed_event = log
            .iter()
            .find(|(id, _, kind, _)| id == order && kind == "OrderPlaced")
            .expect("every order placed");
        if paid == 1 {
            assert_eq!(
                (reserved, released),
                (1, 0),
                "{order} was paid for its stock, which it keeps"
            );
            *paid_quantity
                .entry(
                    placed_event.3["sku"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
                .or_default() += placed_event.3["quantity"].as_i64().unwrap_or_default();
            *outcomes.entry("paid").or_default() += 1;
        } else {
            assert_eq!(
                released, reserved,
                "{order} was cancelled, and its stock went back"
            );
            let cancelled = log
                .iter()
                .find(|(id, _, kind, _)| id == order && kind == "OrderCancelled")
                .expect("cancelled");
            let reason = cancelled.3["reason"].as_str().unwrap_or_default();
            *outcomes
                .entry(if reason == "out_of_stock" {
                    "refused"
                } else {
                    "timed out"
                })
                .or_default() += 1;
        }
    }
    for (sku, shelf) in SHELF {
        let mut available = 0;
        for (_, _, kind, payload) in log
            .iter()
            .filter(|(id, aggregate_type, _, _)| id == sku && aggregate_type == "Stock")
        {
            let quantity = payload["quantity"].as_i64().unwrap_or_default();
            match kind.as_str() {
                "StockOpened" | "StockReleased" => available += quantity,
                "StockReserved" => available -= quantity,
                other => panic!("{other} on stock"),
            }
        }
        let sold = paid_quantity.get(sku).copied().unwrap_or_default();
        assert_eq!(
            available,
            shelf - sold,
            "{sku}: the shelf holds what was not sold"
        );
        assert!(available >= 0, "{sku} went below nothing");
    }
    eprintln!("orders: {outcomes:?}");
    assert!(
        outcomes.get("paid").is_some_and(|n| *n > 0),
        "some orders were paid: {outcomes:?}"
    );
    assert!(
        outcomes.get("timed out").is_some_and(|n| *n > 0),
        "some deadlines passed: {outcomes:?}"
    );
}

/// Every event as (aggregate id, aggregate type, event type, payload).
type Log = Vec<(String, String, String, Value)>;

fn rows(rows: Vec<(String, String, String, String)>) -> Log {
    rows.into_iter()
        .map(|(id, aggregate_type, kind, payload)| {
            (
                id,
                aggregate_type,
                kind,
                serde_json::from_str(&payload).expect("a JSON payload"),
            )
        })
        .collect()
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

const SELECT: &str = "SELECT aggregate_id, aggregate_type, event_type, CAST(payload AS TEXT) \
                      FROM eventwright_events ORDER BY position";

#[test]
fn workflows_on_sqlite_end_every_order_once_through_twenty_kills() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("warehouse");
    generate("tests/models/warehouse.yaml", &project, None);
    let binary = build_service(&project, "warehouse", dir.path().join("warehouse-sqlite"));
    let url = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let events_url = url("events.db");
    survive(&binary, &events_url, &url("views.db"), &[], || {
        block_on(async {
            let pool = sqlx::SqlitePool::connect(&events_url)
                .await
                .expect("SQLite opens");
            let read: Vec<(String, String, String, String)> = sqlx::query_as(SELECT)
                .fetch_all(&pool)
                .await
                .expect("the events read back");
            pool.close().await;
            rows(read)
        })
    });
}

#[test]
fn workflows_on_postgres_and_kafka_end_every_order_once_through_twenty_kills() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("warehouse-kafka");
    let stack = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Kafka,
    };
    generate("tests/models/warehouse.yaml", &project, Some(stack));
    let binary = build_service(
        &project,
        "warehouse",
        dir.path().join("warehouse-kafka-service"),
    );
    let (write_db, read_db) = (scratch_postgres(), scratch_postgres());
    survive(&binary, &write_db, &read_db, &kafka_settings(), || {
        block_on(async {
            let pool = sqlx::PgPool::connect(&write_db)
                .await
                .expect("PostgreSQL answers");
            let read: Vec<(String, String, String, String)> = sqlx::query_as(SELECT)
                .fetch_all(&pool)
                .await
                .expect("the events read back");
            pool.close().await;
            rows(read)
        })
    });
}

/// The clinic example's workflows (a process over two aggregates' events, timers at a date and
/// at a timestamp, constants, compensations, a policy) generate a project that builds without a
/// warning, passes clippy, rustfmt and its own tests, which give each workflow each event.
#[test]
fn clinic_workflows_build_cleanly_and_pass_their_own_tests() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("clinic");
    generate("examples/clinic.yaml", &project, None);
    let build = support::cargo(&project, &["build", "--all-targets"]);
    assert!(
        !build.contains("warning"),
        "the generated project builds with warnings:\n{build}"
    );
    support::cargo(
        &project,
        &["clippy", "--all-targets", "--", "-D", "warnings"],
    );
    support::cargo(&project, &["fmt", "--check"]);
    support::cargo(&project, &["test"]);
}
