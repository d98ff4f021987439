//! The PostgreSQL adapters against a real server (start one with `scripts/services.sh up`):
//! optimistic concurrency under contention, catch-up that never skips an event committed out of
//! order, typed projection tables, and a clear error when the server is unreachable.
#![cfg(feature = "postgres")]

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::store::generation::AtGeneration;
use eventwright::store::postgres::{self, PgPool, PostgresEventStore, PostgresReadStore, Retry};
use eventwright::store::{
    Cursor, EventStore, Find, LogEntry, Mark, ReadStore, RowChange, RowPosition, StoreError,
};
use eventwright::table::{ColumnDef, ColumnType, Index, TableSchema};
use eventwright::{Dispatcher, Metadata, Projection, ProjectionEngine, ReadModels};
use serde_json::{Value, json};

mod common;

use common::log::settled_log;
use common::*;

/// The server's URL. Missing means the services are not up: that is a failure, never a skip.
fn server_url() -> String {
    service_env("EVENTWRIGHT_POSTGRES_URL")
}

/// A schema of its own for each test, so tests running at once never see each other's events.
async fn isolated() -> (PgPool, String) {
    let scoped = postgres::scratch_schema(&server_url())
        .await
        .expect("the test server is up");
    let pool = postgres::connect(&scoped, 40, Retry::default())
        .await
        .unwrap();
    let schema: String = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&pool)
        .await
        .unwrap();
    (pool, schema)
}

async fn event_store(pool: &PgPool) -> Arc<dyn EventStore> {
    let store: Arc<dyn EventStore> = Arc::new(PostgresEventStore::new(pool.clone()));
    store.prepare().await.unwrap();
    store
}

#[tokio::test]
async fn a_taken_sequence_is_a_typed_conflict_and_writes_nothing() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    events.append(vec![new_event("c", 1)]).await.unwrap();
    let error = events
        .append(vec![new_event("c", 2), new_event("c", 1)])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "{error}");
    assert_eq!(
        events.load("Counter", "c", 0).await.unwrap().len(),
        1,
        "the batch was all or nothing"
    );
}

/// The scale: 16 000 commands racing on one aggregate. About 30 s on a 2-core machine;
/// it needs snapshots (each load reads at most 100 events) and the dispatcher's backoff (without
/// it, most of the work is retries that lose again).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_writers_on_one_aggregate_leave_one_gapless_sequence() {
    const TASKS: usize = 32;
    const COMMANDS: usize = 500;
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    let bus = InProcBus::new(Arc::clone(&events));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    dispatcher
        .dispatch(Start { id: "hot".into() }, Metadata::default())
        .await
        .unwrap();
    // Four dispatchers, as four processes would have: commands within one take turns, and the
    // dispatchers race each other in the store.
    let processes: Vec<Dispatcher> = (0..4)
        .map(|_| Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone())))
        .collect();
    let tasks: Vec<_> = (0..TASKS)
        .map(|n| {
            let dispatcher = processes[n % 4].clone();
            tokio::spawn(async move {
                let mut accepted = Vec::new();
                for _ in 0..COMMANDS {
                    let committed = dispatcher
                        .dispatch(Bump { id: "hot".into() }, Metadata::default())
                        .await
                        .unwrap();
                    accepted.extend(committed.events.into_iter().map(|event| event.event_id));
                }
                accepted
            })
        })
        .collect();
    let mut accepted = HashSet::new();
    for task in tasks {
        accepted.extend(task.await.unwrap());
    }
    let stored = events.load("Counter", "hot", 0).await.unwrap();
    let sequences: Vec<u64> = stored.iter().map(|event| event.sequence).collect();
    assert_eq!(
        sequences,
        (1..=(TASKS * COMMANDS + 1) as u64).collect::<Vec<_>>(),
        "no gap, no duplicate"
    );
    let stored_ids: HashSet<_> = stored.iter().map(|event| event.event_id).collect();
    assert_eq!(accepted.len(), TASKS * COMMANDS, "one event per command");
    assert!(
        accepted.is_subset(&stored_ids),
        "every accepted command's event is stored"
    );
    let (counter, _) = dispatcher.load::<Counter>("hot").await.unwrap();
    assert_eq!(
        counter.value,
        (TASKS * COMMANDS) as i64,
        "every bump saw the one before it"
    );
    // Commands committed together take one snapshot, at the version where their batch crossed
    // the last multiple of 100: never older than that multiple, and always the state there.
    let total = (TASKS * COMMANDS + 1) as u64;
    let snapshot = events
        .load_snapshot("Counter", "hot")
        .await
        .unwrap()
        .expect("a snapshot");
    assert!(
        (total / 100 * 100..=total).contains(&snapshot.sequence),
        "racing writers left the newest snapshot: {snapshot:?}"
    );
    assert_eq!(snapshot.state, json!({ "value": snapshot.sequence - 1 }));
}

#[tokio::test]
async fn snapshots_are_taken_every_n_events_and_loads_start_from_them() {
    let (pool, _) = isolated().await;
    common::snapshots::are_taken_every_n_events_and_loads_start_from_them(event_store(&pool).await)
        .await;
}

#[tokio::test]
async fn snapshots_that_no_longer_restore_are_ignored() {
    let (pool, _) = isolated().await;
    common::snapshots::that_no_longer_restore_are_ignored(event_store(&pool).await).await;
}

#[tokio::test]
async fn snapshots_never_move_backwards() {
    let (pool, _) = isolated().await;
    common::snapshots::never_move_backwards(event_store(&pool).await).await;
}

#[tokio::test]
async fn snapshots_are_optional_for_a_store() {
    let (pool, _) = isolated().await;
    common::snapshots::are_optional_for_a_store(event_store(&pool).await).await;
}

#[tokio::test]
async fn snapshots_that_fail_never_fail_a_command() {
    let (pool, _) = isolated().await;
    common::snapshots::that_fail_never_fail_a_command(event_store(&pool).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn catch_up_sees_every_event_once_even_when_commits_land_out_of_order() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    let bus = InProcBus::new(Arc::clone(&events));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus));
    let writing = Arc::new(AtomicBool::new(true));
    let pool_for_reader = pool.clone();

    // A reader that follows the log while everything below happens, then drains it. Other
    // transactions on the server (other tests) hold the horizon back now and then, so draining
    // waits for the count rather than for the first empty read.
    let reader = {
        let events = Arc::clone(&events);
        let writing = Arc::clone(&writing);
        tokio::spawn(async move {
            let mut cursor = Cursor::START;
            let mut seen: Vec<LogEntry> = Vec::new();
            // Counted from the end of writing: under load the writers alone can take a while.
            let mut deadline = None;
            loop {
                let done = !writing.load(Ordering::SeqCst);
                if done && deadline.is_none() {
                    deadline = Some(tokio::time::Instant::now() + Duration::from_secs(30));
                }
                let batch = events.read_all(cursor, 100).await.unwrap();
                if batch.is_empty() && done {
                    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM eventwright_events")
                        .fetch_one(&pool_for_reader)
                        .await
                        .unwrap();
                    let expired = deadline.is_some_and(|at| tokio::time::Instant::now() > at);
                    if seen.len() as i64 >= total || expired {
                        return seen;
                    }
                }
                for entry in batch {
                    assert!(entry.cursor > cursor, "cursors only move forward");
                    cursor = entry.cursor;
                    seen.push(entry);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };

    // Slow writers: each takes a position, then holds its transaction open while fast writers
    // commit later positions. A reader going by position alone would skip these.
    let slow: Vec<_> = (0..8)
        .map(|index| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                let event = new_event(&format!("slow-{index}"), 1);
                sqlx::query(
                    "INSERT INTO eventwright_events (event_id, aggregate_type, aggregate_id, sequence, \
                     event_type, event_version, timestamp, payload) VALUES ($1, $2, $3, 1, 'Started', 1, now(), '{}')",
                )
                .bind(event.event_id)
                .bind(&event.aggregate_type)
                .bind(&event.aggregate_id)
                .execute(&mut *tx)
                .await
                .unwrap();
                tokio::time::sleep(Duration::from_millis(150 + 40 * index)).await;
                tx.commit().await.unwrap();
            })
        })
        .collect();
    let fast: Vec<_> = (0..16)
        .map(|writer| {
            let dispatcher = dispatcher.clone();
            tokio::spawn(async move {
                for round in 0..15 {
                    let id = format!("fast-{writer}-{round}");
                    dispatcher
                        .dispatch(Start { id: id.clone() }, Metadata::default())
                        .await
                        .unwrap();
                    dispatcher
                        .dispatch(Bump { id }, Metadata::default())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in slow.into_iter().chain(fast) {
        task.await.unwrap();
    }
    writing.store(false, Ordering::SeqCst);
    let seen = reader.await.unwrap();

    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM eventwright_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    let ids: HashSet<_> = seen.iter().map(|entry| entry.envelope.event_id).collect();
    assert_eq!(ids.len(), seen.len(), "no event was read twice");
    assert_eq!(seen.len() as i64, total, "every committed event was read");
    let mut last_sequence: BTreeMap<&str, u64> = BTreeMap::new();
    for entry in &seen {
        let previous = last_sequence.insert(&entry.envelope.aggregate_id, entry.envelope.sequence);
        assert!(
            previous < Some(entry.envelope.sequence),
            "each aggregate's events arrive in order"
        );
    }
}

/// Transaction ids sort as numbers, also where they gain a digit (a fresh server reaches 1000 in
/// its first minutes): sorted as text, 10 would come before 9 and a reader would skip 9.
#[tokio::test]
async fn the_log_sorts_transaction_ids_as_numbers() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    for (transaction, id) in [(10, "ten"), (9, "nine")] {
        let event = new_event(id, 1);
        sqlx::query(
            "INSERT INTO eventwright_events (transaction_id, event_id, aggregate_type, aggregate_id, \
             sequence, event_type, event_version, timestamp, payload) \
             VALUES ($1::text::xid8, $2, 'Counter', $3, 1, 'Started', 1, now(), '{}')",
        )
        .bind(transaction.to_string())
        .bind(event.event_id)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    }
    let read = events.read_all(Cursor::START, 10).await.unwrap();
    let order: Vec<(u64, &str)> = read
        .iter()
        .map(|entry| {
            (
                entry.cursor.transaction,
                entry.envelope.aggregate_id.as_str(),
            )
        })
        .collect();
    assert_eq!(order, [(9, "nine"), (10, "ten")]);
    let after_nine = events.read_all(read[0].cursor, 10).await.unwrap();
    assert_eq!(
        after_nine.len(),
        1,
        "the event of transaction 10 follows 9's"
    );
}

#[tokio::test]
async fn a_projection_on_postgres_catches_up_and_ignores_redelivery() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    let read: Arc<dyn ReadStore> = Arc::new(PostgresReadStore::new(pool.clone()));
    let bus = InProcBus::new(Arc::clone(&events));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    for id in ["a", "b"] {
        dispatcher
            .dispatch(Start { id: id.into() }, Metadata::default())
            .await
            .unwrap();
    }
    dispatcher
        .dispatch(Bump { id: "a".into() }, Metadata::default())
        .await
        .unwrap();
    let runner = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>();
    runner.prepare().await.unwrap();
    runner.catch_up().await.unwrap();
    runner.catch_up().await.unwrap();
    let projector = eventwright::engine::projector::<Tally>();
    for entry in events.read_all(Cursor::START, 100).await.unwrap() {
        projector
            .handle(
                &AtGeneration::new(Arc::clone(&read), 0),
                &entry.envelope,
                Mark::in_log(&entry.envelope, entry.cursor),
            )
            .await
            .unwrap();
    }
    let models = ReadModels::new(Arc::clone(&read));
    let a: Tally = models.get(&"a").await.unwrap().unwrap();
    assert_eq!(
        (a.events, a.last),
        (2, 1),
        "each event applied exactly once"
    );
    let page = models
        .list::<Tally>("events", &1, &eventwright::PageRequest::default())
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
        ["b"]
    );
    let one_each = eventwright::PageRequest {
        limit: Some(1),
        cursor: None,
    };
    let first = models.list_all::<Tally>(&one_each).await.unwrap();
    let second = models
        .list_all::<Tally>(&eventwright::PageRequest {
            cursor: first.next_cursor.clone(),
            ..one_each
        })
        .await
        .unwrap();
    let ids = |page: &eventwright::Page<Tally>| -> Vec<String> {
        page.items.iter().map(|t| t.id.clone()).collect()
    };
    assert_eq!(
        (ids(&first), ids(&second)),
        (vec!["a".into()], vec!["b".into()])
    );
    assert_eq!(second.next_cursor, None, "two rows in all");
    assert_eq!(
        runner.status().await.unwrap()[0].checkpoint,
        events
            .read_all(Cursor::START, 100)
            .await
            .unwrap()
            .last()
            .unwrap()
            .cursor
    );
}

/// A command answered while an older transaction is still open shows in the log only once that
/// one ends; `catch_up` waits for it, so a read after it never misses the command.
#[tokio::test]
async fn catch_up_waits_for_events_committed_behind_an_open_transaction() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    let read: Arc<dyn ReadStore> = Arc::new(PostgresReadStore::new(pool.clone()));
    let bus = InProcBus::new(Arc::clone(&events));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    let runner = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>();
    runner.prepare().await.unwrap();
    sqlx::query("CREATE TABLE held (id int)")
        .execute(&pool)
        .await
        .unwrap();
    // An older transaction, holding a transaction id of its own.
    let mut older = pool.begin().await.unwrap();
    sqlx::query("INSERT INTO held VALUES (1)")
        .execute(&mut *older)
        .await
        .unwrap();
    dispatcher
        .dispatch(Start { id: "late".into() }, Metadata::default())
        .await
        .unwrap();
    assert!(
        events.read_all(Cursor::START, 10).await.unwrap().is_empty(),
        "the log hides the event while the older transaction runs"
    );
    let ends = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        older.commit().await.unwrap();
    });
    runner.catch_up().await.unwrap();
    let late: Option<Tally> = ReadModels::new(Arc::clone(&read))
        .get(&"late")
        .await
        .unwrap();
    assert!(
        late.is_some(),
        "catch_up applied the command answered before it"
    );
    ends.await.unwrap();
}

const WIDE: TableSchema<'static> = TableSchema {
    name: "wide",
    key: "id",
    columns: &[
        ColumnDef {
            name: "id",
            ty: ColumnType::Uuid,
            nullable: false,
        },
        ColumnDef {
            name: "label",
            ty: ColumnType::String,
            nullable: false,
        },
        ColumnDef {
            name: "flag",
            ty: ColumnType::Bool,
            nullable: false,
        },
        ColumnDef {
            name: "count",
            ty: ColumnType::Int,
            nullable: false,
        },
        ColumnDef {
            name: "ratio",
            ty: ColumnType::Float,
            nullable: false,
        },
        ColumnDef {
            name: "price",
            ty: ColumnType::Decimal,
            nullable: false,
        },
        ColumnDef {
            name: "at",
            ty: ColumnType::Timestamp,
            nullable: false,
        },
        ColumnDef {
            name: "day",
            ty: ColumnType::Date,
            nullable: true,
        },
        ColumnDef {
            name: "lines",
            ty: ColumnType::Json,
            nullable: false,
        },
    ],
    indexes: &[Index {
        equal: &["label"],
        order: None,
    }],
    summaries: &[],
};

#[tokio::test]
async fn typed_columns_round_trip_in_serde_form() {
    let (pool, schema) = isolated().await;
    let read = PostgresReadStore::new(pool.clone());
    read.prepare(&WIDE).await.unwrap();
    let rows = [
        json!({ "id": "0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b01", "label": "x", "flag": true, "count": 3,
                "ratio": 0.5, "price": "9.50", "at": "2026-01-01T10:20:30Z", "day": "2026-02-03",
                "lines": [{ "sku": "a", "n": 1 }] }),
        json!({ "id": "0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b02", "label": "x", "flag": false, "count": -1,
                "ratio": 2.0, "price": "0", "at": "2026-01-01T10:20:30.123456Z", "day": null, "lines": [] }),
    ];
    for (position, row) in rows.iter().enumerate() {
        let Value::Object(row) = row.clone() else {
            unreachable!()
        };
        let cursor = Cursor {
            transaction: 1,
            position: position as u64 + 1,
        };
        assert!(
            read.apply(&WIDE, "wide", &log_entry(cursor), RowChange::Upsert(row))
                .await
                .unwrap()
        );
    }
    for row in &rows {
        let stored = read
            .get(&WIDE, &row["id"])
            .await
            .unwrap()
            .expect("the row is there");
        assert_eq!(Value::Object(stored), *row);
    }
    let after = RowPosition {
        order: None,
        key: rows[0]["id"].clone(),
    };
    let equal = [json!("x")];
    let listed = read
        .find(
            &WIDE,
            Find {
                after: Some(&after),
                ..Find::new(&WIDE.indexes[0], &equal, 10)
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], rows[1]["id"]);
    // Another SQL client sees real types, not text.
    let price_type: String = sqlx::query_scalar(&format!(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'wide' AND column_name = 'price'"
    ))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(price_type, "numeric");
}

#[tokio::test]
async fn metadata_round_trips_with_its_trace_context() {
    let (pool, _) = isolated().await;
    common::metadata::metadata_round_trips(event_store(&pool).await).await;
}

#[tokio::test]
async fn an_unreachable_server_is_named_without_its_password() {
    let quick = Retry {
        attempts: 2,
        first_delay: Duration::from_millis(10),
    };
    let error = postgres::connect("postgres://app:hunter2@127.0.0.1:1/orders", 1, quick)
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("127.0.0.1:1/orders"), "{message}");
    assert!(message.contains("after 2 attempts"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

/// Preparing the stores again, as every start does, logs nothing: the server's "already
/// exists, skipping" notices are not asked for.
#[tokio::test]
async fn preparing_again_logs_no_notices() {
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Notices(Arc<std::sync::Mutex<Vec<String>>>);
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Notices {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            if event.metadata().target().contains("notice") {
                self.0.lock().unwrap().push(format!("{event:?}"));
            }
        }
    }
    let notices = Notices::default();
    let _logging =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(notices.clone()));
    let (pool, _) = isolated().await;
    let read = read_store(&pool);
    for _ in 0..2 {
        event_store(&pool).await;
        read.prepare_bookkeeping().await.unwrap();
        read.prepare(&Tally::SCHEMA).await.unwrap();
    }
    let logged = notices.0.lock().unwrap();
    assert!(
        logged.is_empty(),
        "{} notices, the first: {:.300}",
        logged.len(),
        logged[0]
    );
}

/// A test's scratch schema goes with its last handle, even while a connection in it is still
/// open inside a transaction holding a lock.
#[tokio::test]
async fn a_scratch_schema_is_dropped_with_its_last_handle() {
    let scratch = postgres::ScratchSchema::create(&server_url())
        .await
        .unwrap();
    let pool = postgres::connect(scratch.url(), 2, Retry::default())
        .await
        .unwrap();
    let schema: String = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(schema.starts_with("scratch_"), "{schema}");
    sqlx::query("CREATE TABLE kept (id int)")
        .execute(&pool)
        .await
        .unwrap();
    let mut open = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE kept")
        .execute(&mut *open)
        .await
        .unwrap();
    let copy = scratch.clone();
    drop(scratch);
    assert!(schema_exists(&schema).await, "a clone still holds it");
    drop(copy);
    assert!(!schema_exists(&schema).await, "{schema} is left behind");
}

async fn schema_exists(schema: &str) -> bool {
    let admin = postgres::connect(&server_url(), 1, Retry::default())
        .await
        .unwrap();
    sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
        .bind(schema)
        .fetch_one(&admin)
        .await
        .unwrap()
}

#[test]
fn the_tally_table_is_what_the_projection_says() {
    assert_eq!(Tally::SCHEMA.key, "id");
}

#[tokio::test]
async fn state_stored_aggregates_round_trip_through_their_state_row() {
    let (pool, _) = isolated().await;
    common::state_stored::round_trip_through_their_state_row(event_store(&pool).await).await;
}

#[tokio::test]
async fn state_stored_commits_conflict_on_a_stale_version_and_write_nothing() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::state_stored::conflict_on_a_stale_version_and_write_nothing(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn state_stored_aggregates_serialize_concurrent_commands() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::state_stored::serialize_concurrent_commands(store, 32, 50).await;
}

#[tokio::test]
async fn state_stored_aggregates_refuse_a_row_that_no_longer_restores() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::state_stored::refuse_a_row_that_no_longer_restores(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_outbox_relay_resumes_from_its_checkpoint_after_a_restart() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::relay::resumes_from_its_checkpoint_after_a_restart(store).await;
}

fn read_store(pool: &PgPool) -> Arc<dyn ReadStore> {
    Arc::new(PostgresReadStore::new(pool.clone()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_batches_applied_at_once_count_each_event_once() {
    let (pool, _) = isolated().await;
    common::sequence_marks::apply_overlapping_batches_at_once_each_event_once(read_store(&pool))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sequence_marks_apply_each_event_once_with_appliers_running_at_once() {
    let (pool, _) = isolated().await;
    common::sequence_marks::apply_each_event_once_with_appliers_running_at_once(read_store(&pool))
        .await;
}

#[tokio::test]
async fn a_log_batch_applies_each_rows_events_in_order_past_the_checkpoint() {
    let (pool, _) = isolated().await;
    common::log_batches::apply_a_log_batch_in_order_per_row_past_the_checkpoint(read_store(&pool))
        .await;
}

#[tokio::test]
async fn a_lookup_in_a_log_batch_finds_the_rows_its_batch_wrote_before_it() {
    let (pool, _) = isolated().await;
    common::rows_where::change_every_row_holding_a_value_in_log_batches(read_store(&pool)).await;
}

#[tokio::test]
async fn an_event_changes_every_row_holding_a_value_once() {
    let (pool, _) = isolated().await;
    common::rows_where::change_every_row_holding_a_value_once(read_store(&pool)).await;
}

#[tokio::test]
async fn sequence_marks_reject_a_poison_event_without_moving_the_mark() {
    let (pool, _) = isolated().await;
    common::sequence_marks::reject_a_poison_event_without_moving_the_mark(read_store(&pool)).await;
}

#[tokio::test]
async fn reads_wait_for_the_token_of_a_command() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    common::consistency::reads_wait_for_the_token_of_a_command(events, read_store(&pool)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rebuild_while_running_matches_a_fold_of_the_log() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    common::rebuild::rebuild_while_running_matches_a_fold_of_the_log(events, read_store(&pool))
        .await;
}

#[tokio::test]
async fn a_conflicting_group_fails_alone_and_leaves_no_row() {
    let (pool, _) = isolated().await;
    common::group_commit::a_conflicting_group_fails_alone_and_leaves_no_row(
        event_store(&pool).await,
    )
    .await;
}

#[tokio::test]
async fn a_cached_aggregate_moved_on_elsewhere_is_caught_up() {
    let (pool, _) = isolated().await;
    common::group_commit::a_cached_aggregate_moved_on_elsewhere_is_caught_up(
        event_store(&pool).await,
    )
    .await;
}

/// Commands to one aggregate from one process share commits: far fewer transactions than
/// commands, and still one gapless sequence.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commands_to_one_aggregate_share_commits() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    let bus = InProcBus::new(Arc::clone(&events));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus));
    dispatcher
        .dispatch(
            Start {
                id: "shared".into(),
            },
            Metadata::default(),
        )
        .await
        .unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let dispatcher = dispatcher.clone();
            tokio::spawn(async move {
                dispatcher
                    .dispatch(
                        Bump {
                            id: "shared".into(),
                        },
                        Metadata::default(),
                    )
                    .await
                    .unwrap()
                    .version
            })
        })
        .collect();
    let mut versions = Vec::new();
    for task in tasks {
        versions.push(task.await.unwrap());
    }
    versions.sort_unstable();
    assert_eq!(
        versions,
        (2..=65).collect::<Vec<u64>>(),
        "each command its own version"
    );
    let log = settled_log(events.as_ref(), 1000).await;
    let transactions: HashSet<u64> = log.iter().map(|entry| entry.cursor.transaction).collect();
    assert_eq!(log.len(), 65);
    assert!(
        transactions.len() < 40,
        "65 commands took {} transactions",
        transactions.len()
    );
}

#[tokio::test]
async fn a_failing_batch_writes_nothing_and_a_redelivered_one_changes_nothing() {
    let (pool, _) = isolated().await;
    common::sequence_marks::a_failing_batch_writes_nothing_and_a_redelivered_one_changes_nothing(
        read_store(&pool),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfers_between_accounts_conserve_money_under_contention() {
    let (pool, _) = isolated().await;
    common::conditional_append::transfers_conserve_money_under_contention(
        event_store(&pool).await,
        32,
        Duration::from_secs(10),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limit_two_accounts_share_is_never_overdrawn() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::conditional_append::a_shared_limit_is_never_overdrawn(store, 32).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_claim_of_a_unique_value_wins() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::conditional_append::exactly_one_claim_of_a_value_wins(store, 32, 100).await;
}

#[tokio::test]
async fn a_failed_condition_writes_nothing() {
    let (pool, _) = isolated().await;
    common::conditional_append::a_failed_condition_writes_nothing(event_store(&pool).await).await;
}

#[tokio::test]
async fn state_rows_move_with_their_events_in_a_conditional_append() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::conditional_append::state_rows_move_with_their_events(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfers_through_the_dispatcher_conserve_money_with_no_error_for_any_caller() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::decisions::transfers_conserve_money(store, 2, 32, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_loan_reads_the_book_and_the_member() {
    let (pool, _) = isolated().await;
    common::decisions::a_loan_reads_the_book_and_the_member(event_store(&pool).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_book_holds_an_isbn() {
    let (pool, _) = isolated().await;
    common::decisions::exactly_one_book_holds_an_isbn(event_store(&pool).await, 32, 100).await;
}

#[tokio::test]
async fn tagged_events_are_found_however_they_were_appended() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::facts::tagged_events_are_found_however_they_were_appended(store).await;
}

#[tokio::test]
async fn a_query_matching_more_events_than_read_is_a_conflict() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::facts::a_query_matching_more_events_than_read_is_a_conflict(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_doctors_day_is_never_overbooked() {
    let (pool, _) = isolated().await;
    let store = event_store(&pool).await;
    common::facts::a_doctors_day_is_never_overbooked(store, 2, 32, 20).await;
}

#[tokio::test]
async fn decisions_appended_together_fail_alone() {
    let (pool, _) = isolated().await;
    common::conditional_append::decisions_appended_together_fail_alone(event_store(&pool).await)
        .await;
}

#[tokio::test]
async fn every_list_matches_a_fold_of_the_events_applied_in_log_batches() {
    let (pool, _) = isolated().await;
    common::finds::every_list_matches_the_fold_applied_in_batches(read_store(&pool)).await;
}

#[tokio::test]
async fn every_list_through_an_index_matches_a_fold_of_the_events() {
    let (pool, _) = isolated().await;
    common::finds::every_list_matches_the_fold(read_store(&pool)).await;
    common::finds::an_unpartitioned_order_matches_the_fold(read_store(&pool)).await;
}

#[tokio::test]
async fn a_changed_projection_is_rebuilt_by_its_task() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    common::shapes::a_changed_projection_is_rebuilt_by_its_task(events, read_store(&pool)).await;
}

#[tokio::test]
async fn a_joined_row_is_read_once_as_fresh_per_aggregate() {
    let (pool, _) = isolated().await;
    common::joins::a_joined_row_is_read_once_as_fresh_per_aggregate(read_store(&pool)).await;
}

#[tokio::test]
async fn a_joined_row_is_read_once_as_fresh_in_the_log() {
    let (pool, _) = isolated().await;
    common::joins::a_joined_row_is_read_once_as_fresh_in_the_log(read_store(&pool)).await;
}

/// A live query over the PostgreSQL log, resumed mid-stream from its last token.
#[tokio::test]
async fn a_watch_resumed_from_its_token_misses_and_repeats_nothing() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    let read = read_store(&pool);
    let bus = InProcBus::new(Arc::clone(&events)).with_poll_interval(Duration::from_millis(20));
    let engine = common::watches::engine(&read, &events, Arc::new(bus));
    common::watches::a_watch_resumed_from_its_token_misses_and_repeats_nothing(
        events,
        read,
        engine,
        || {},
    )
    .await;
}

/// Commands sent with an id take effect once, however many processes send them at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_command_sent_again_with_its_id_takes_effect_once() {
    let (pool, _) = isolated().await;
    let events = event_store(&pool).await;
    let bus: Arc<InProcBus> = Arc::new(InProcBus::new(Arc::clone(&events)));
    common::sent_commands::a_command_sent_again_takes_effect_once_and_is_answered_alike(
        Arc::clone(&events),
        bus.clone(),
    )
    .await;
    common::sent_commands::copies_sent_at_once_take_effect_once(Arc::clone(&events), bus.clone())
        .await;
    common::sent_commands::copies_queued_together_get_the_first_ones_answer(
        Arc::clone(&events),
        bus.clone(),
    )
    .await;
    common::sent_commands::a_keyed_request_is_answered_as_the_first_time(events, bus).await;
}

/// The warehouse's workflows on PostgreSQL, fed from its log, through crashes and restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workflows_settle_every_order_once_through_crashes_and_restarts() {
    let (pool, _) = isolated().await;
    let store = Arc::new(PostgresEventStore::new(pool.clone()));
    store.prepare().await.unwrap();
    let events: Arc<dyn EventStore> = store.clone();
    let bus = InProcBus::new(Arc::clone(&events)).with_poll_interval(Duration::from_millis(20));
    common::workflows::every_order_settles_once(
        events,
        store,
        Arc::new(bus.clone()),
        Arc::new(bus),
        common::workflows::Restarts::LOG,
    )
    .await;
}

#[cfg(feature = "personal")]
#[tokio::test]
async fn forgotten_subjects_read_as_null() {
    let (pool, _) = isolated().await;
    let store = Arc::new(PostgresEventStore::new(pool));
    store.prepare().await.unwrap();
    let keys = Arc::new(store.subject_keys(None));
    common::personal::forgotten_subjects_read_as_null(store, keys).await;
}

#[cfg(feature = "personal")]
#[tokio::test]
async fn keys_kept_wrapped_open_only_with_their_wrap() {
    let (pool, _) = isolated().await;
    let store = Arc::new(PostgresEventStore::new(pool.clone()));
    store.prepare().await.unwrap();
    let keys =
        |wrap| Arc::new(store.subject_keys(wrap)) as Arc<dyn eventwright::personal::SubjectKeys>;
    let secrets = || async {
        sqlx::query_scalar("SELECT secret FROM eventwright_subject_keys")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    common::personal::keys_kept_wrapped_open_only_with_their_wrap(store.clone(), keys, secrets)
        .await;
}
