//! The Cassandra read store against a real Apache Cassandra (start one with
//! `scripts/services.sh up`): typed columns, list tables that follow their rows, idempotent
//! applying without transactions, appliers taking turns on one row, and a projection fed in log
//! order through the in-process runner.
#![cfg(all(feature = "cassandra", feature = "sqlite"))]

use std::sync::Arc;
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::store::cassandra::{self, CassandraConfig, CassandraReadStore};
use eventwright::store::generation::AtGeneration;
use eventwright::store::sqlite::{self, SqliteEventStore};
use eventwright::store::{
    Cursor, Decide, EventStore, Find, Mark, ReadStore, Row, RowChange, RowPosition, StoreError,
};
use eventwright::table::{ColumnDef, ColumnType, Index, TableSchema};
use eventwright::{Dispatcher, EventEnvelope, Metadata, Projection, ProjectionEngine};
use serde_json::{Value, json};

mod common;

use common::*;

/// The nodes. Missing means the services are not up: a failure, never a skip.
fn nodes() -> String {
    service_env("EVENTWRIGHT_CASSANDRA_NODES")
}

/// A keyspace of its own for each test.
/// The event store the projections read, on SQLite in `dir`: the read store is what these
/// tests are about.
async fn event_log(dir: &std::path::Path) -> Arc<dyn EventStore> {
    let url = format!("sqlite://{}", dir.join("events.db").display());
    let events: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::new(sqlite::connect(&url).await.unwrap()));
    events.prepare().await.unwrap();
    events
}

async fn read_store() -> Arc<dyn ReadStore> {
    let keyspace = format!("t{}", uuid::Uuid::new_v4().simple());
    let config = CassandraConfig::new(nodes(), keyspace);
    let session = cassandra::connect(&config).await.expect("Cassandra is up");
    Arc::new(CassandraReadStore::new(session, config))
}

const SHELF: TableSchema<'static> = TableSchema {
    name: "shelf",
    key: "id",
    columns: &[
        ColumnDef {
            name: "id",
            ty: ColumnType::Uuid,
            nullable: false,
        },
        ColumnDef {
            name: "aisle",
            ty: ColumnType::String,
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
            name: "open",
            ty: ColumnType::Bool,
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
        equal: &["aisle"],
        order: None,
    }],
    summaries: &[],
};

fn shelf(id: u8, aisle: &str, count: i64) -> Row {
    let Value::Object(row) = json!({
        "id": format!("0b5e0d7e-1c53-4d4b-8f5e-3f0d3c1a2b{id:02x}"), "aisle": aisle,
        "count": count, "ratio": 0.25, "open": true, "price": "9.50",
        "at": "2026-01-01T10:20:30.123456Z", "day": "2026-02-03",
        "lines": [{ "sku": "a", "n": 1 }],
    }) else {
        unreachable!()
    };
    row
}

fn event(id: &str, sequence: u64) -> EventEnvelope {
    EventEnvelope::from_new(new_event(id, sequence), sequence)
}

/// Writes `row` as the change of event (`id`, `sequence`), delivered by a broker.
async fn put(read: &dyn ReadStore, row: Row, sequence: u64) -> Result<bool, StoreError> {
    let key = row["id"].clone();
    let envelope = event(row["id"].as_str().unwrap(), sequence);
    read.update(
        &SHELF,
        "shelf",
        Mark::delivered(&envelope),
        Some(&key),
        Box::new(move |_| Ok(RowChange::Upsert(row.clone()))),
    )
    .await
}

async fn aisle(read: &dyn ReadStore, aisle: &str) -> Vec<i64> {
    read.find(&SHELF, Find::new(&SHELF.indexes[0], &[json!(aisle)], 100))
        .await
        .unwrap()
        .iter()
        .map(|row| row["count"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn typed_columns_round_trip_in_serde_form() {
    let read = read_store().await;
    read.prepare(&SHELF).await.unwrap();
    let mut without_day = shelf(2, "b", 7);
    without_day.insert("day".into(), Value::Null);
    for (n, row) in [shelf(1, "a", -3), without_day].into_iter().enumerate() {
        assert!(put(read.as_ref(), row.clone(), n as u64 + 1).await.unwrap());
        let stored = read.get(&SHELF, &row["id"]).await.unwrap().unwrap();
        assert_eq!(
            Value::Object(stored),
            Value::Object(row),
            "exact, microseconds included"
        );
    }
}

#[tokio::test]
async fn list_tables_follow_their_rows_and_page_in_key_order() {
    let read = read_store().await;
    read.prepare(&SHELF).await.unwrap();
    for n in 1..=5 {
        put(read.as_ref(), shelf(n, "a", i64::from(n)), 1)
            .await
            .unwrap();
    }
    assert_eq!(aisle(read.as_ref(), "a").await, [1, 2, 3, 4, 5]);
    let equal = [json!("a")];
    let first_two = Find::new(&SHELF.indexes[0], &equal, 2);
    let first = read.find(&SHELF, first_two).await.unwrap();
    let after = RowPosition {
        order: None,
        key: first.last().unwrap()["id"].clone(),
    };
    let next = read
        .find(
            &SHELF,
            Find {
                after: Some(&after),
                ..first_two
            },
        )
        .await
        .unwrap();
    let counts: Vec<_> = next.iter().map(|row| row["count"].clone()).collect();
    assert_eq!(counts, [json!(3), json!(4)]);

    // A row whose listed field changes moves to the other list.
    put(read.as_ref(), shelf(2, "b", 20), 2).await.unwrap();
    assert_eq!(aisle(read.as_ref(), "a").await, [1, 3, 4, 5]);
    assert_eq!(aisle(read.as_ref(), "b").await, [20]);

    // A deleted row leaves both the main table and its list, and redelivering the event that
    // created it does not bring it back.
    let key = shelf(3, "a", 3)["id"].clone();
    let envelope = event(key.as_str().unwrap(), 2);
    let deleted = read
        .update(
            &SHELF,
            "shelf",
            Mark::delivered(&envelope),
            Some(&key),
            Box::new(|_| Ok(RowChange::Delete(json!(null)))),
        )
        .await
        .unwrap();
    assert!(deleted);
    assert_eq!(read.get(&SHELF, &key).await.unwrap(), None);
    assert_eq!(aisle(read.as_ref(), "a").await, [1, 4, 5]);
    assert!(!put(read.as_ref(), shelf(3, "a", 3), 1).await.unwrap());
    assert_eq!(read.get(&SHELF, &key).await.unwrap(), None);
    assert_eq!(aisle(read.as_ref(), "a").await, [1, 4, 5]);

    // Every row, two at a time in the key's token order, the deleted one left out: each once.
    let mut counts = Vec::new();
    let mut after = None;
    loop {
        let page = read.list_all(&SHELF, after.as_ref(), 2).await.unwrap();
        assert!(page.len() <= 2);
        counts.extend(page.iter().map(|row| row["count"].as_i64().unwrap()));
        match page.last() {
            Some(last) if page.len() == 2 => after = Some(last["id"].clone()),
            _ => break,
        }
    }
    counts.sort_unstable();
    assert_eq!(counts, [1, 4, 5, 20]);

    // Cassandra serves only the lists its tables were designed for.
    let by_count = Index {
        equal: &["count"],
        order: None,
    };
    let error = read
        .find(&SHELF, Find::new(&by_count, &[json!(1)], 10))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("no index `shelf_by_count`"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_batches_applied_at_once_count_each_event_once() {
    let read = read_store().await;
    common::sequence_marks::apply_overlapping_batches_at_once_each_event_once(read).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appliers_take_turns_on_a_row_and_redelivery_changes_nothing() {
    let read = read_store().await;
    common::sequence_marks::apply_each_event_once_with_appliers_running_at_once(read).await;
}

#[tokio::test]
async fn a_log_batch_applies_each_rows_events_in_order_past_the_checkpoint() {
    let read = read_store().await;
    common::log_batches::apply_a_log_batch_in_order_per_row_past_the_checkpoint(read).await;
}

#[tokio::test]
async fn a_batch_redelivered_before_its_checkpoint_moved_changes_nothing() {
    let read = read_store().await;
    common::log_batches::a_batch_redelivered_before_its_checkpoint_changes_nothing(read).await;
}

/// A mark by sequence on `k`'s aggregate `aggregate_id`, as a partitioned broker delivers.
fn delivered(aggregate_id: &'static str, sequence: u64) -> Mark<'static> {
    Mark {
        aggregate_type: "Counter",
        aggregate_id,
        sequence,
        cursor: None,
    }
}

/// Counts one more event on the Tally row `k`.
fn count_on_k(row: Option<Row>) -> Result<RowChange, String> {
    let events = row.map_or(0, |row| row["events"].as_i64().unwrap_or_default());
    let mut counted = Row::new();
    counted.insert("id".into(), json!("k"));
    counted.insert("events".into(), json!(events + 1));
    counted.insert("last".into(), json!(0));
    Ok(RowChange::Upsert(counted))
}

/// Two appliers holding one aggregate's events at once (a rebalance): the slower decides that
/// a:5 leaves row `k` as it is; meanwhile the other applies a:5 and a:6 there; then the slower
/// writes `k` for b:3, carrying a:5's mark. The row's mark for `a` must not go back to 5, or
/// a:6 delivered again would be counted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mark_carried_by_a_slower_applier_never_moves_a_row_back() {
    use std::sync::atomic::{AtomicBool, Ordering};

    use eventwright::store::{Target, Update};

    let read = read_store().await;
    read.prepare(&Tally::SCHEMA).await.unwrap();
    let k = json!("k");
    let applied = read
        .update(
            &Tally::SCHEMA,
            Tally::NAME,
            delivered("a", 4),
            Some(&k),
            Box::new(count_on_k),
        )
        .await
        .unwrap();
    assert!(applied);
    let other = Arc::clone(&read);
    let raced = Arc::new(AtomicBool::new(false));
    // The other applier runs inside the slower one's decision, on a runtime of its own: its
    // writes land between that decision and the slower one's next write.
    let overtaken: Decide<'static> = Box::new(move |_| {
        if !raced.swap(true, Ordering::SeqCst) {
            let other = Arc::clone(&other);
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Runtime::new().unwrap();
                runtime.block_on(async {
                    let k = json!("k");
                    let keep: Decide<'_> = Box::new(|_| Ok(RowChange::None));
                    for (mark, decide) in [
                        (delivered("a", 5), keep),
                        (delivered("a", 6), Box::new(count_on_k) as Decide<'_>),
                    ] {
                        other
                            .update(&Tally::SCHEMA, Tally::NAME, mark, Some(&k), decide)
                            .await
                            .unwrap();
                    }
                });
            })
            .join()
            .unwrap();
        }
        Ok(RowChange::None)
    });
    let slower = vec![
        Update {
            mark: delivered("a", 5),
            target: Target::Key(k.clone()),
            decide: overtaken,
        },
        Update {
            mark: delivered("b", 3),
            target: Target::Key(k.clone()),
            decide: Box::new(count_on_k),
        },
    ];
    read.update_many(&Tally::SCHEMA, Tally::NAME, slower)
        .await
        .unwrap();
    let again = read
        .update(
            &Tally::SCHEMA,
            Tally::NAME,
            delivered("a", 6),
            Some(&k),
            Box::new(count_on_k),
        )
        .await
        .unwrap();
    assert!(!again, "a:6 delivered again is skipped");
    let row = read.get(&Tally::SCHEMA, &k).await.unwrap().unwrap();
    assert_eq!(row["events"], json!(3), "a:4, a:6 and b:3, each once");
}

#[tokio::test]
async fn a_poison_event_moves_no_mark() {
    let read = read_store().await;
    common::sequence_marks::reject_a_poison_event_without_moving_the_mark(read).await;
}

/// The in-process runner reads the log in order and moves a checkpoint; applying again from an
/// older checkpoint (as after a crash before the checkpoint was written) changes no row.
#[tokio::test]
async fn a_projection_fed_in_log_order_catches_up_and_ignores_replays() {
    let dir = tempfile::tempdir().unwrap();
    let events = event_log(dir.path()).await;
    let read = read_store().await;
    let bus = InProcBus::new(Arc::clone(&events));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    for n in 0..3 {
        let id = format!("c{n}");
        dispatcher
            .dispatch(Start { id: id.clone() }, Metadata::default())
            .await
            .unwrap();
        for _ in 0..4 {
            dispatcher
                .dispatch(Bump { id: id.clone() }, Metadata::default())
                .await
                .unwrap();
        }
    }
    let runner = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>();
    runner.prepare().await.unwrap();
    runner.catch_up().await.unwrap();
    let checkpoint = read.checkpoint(Tally::NAME).await.unwrap();
    assert!(checkpoint > Cursor::START);

    // Replay the whole log through the projector, as a lost checkpoint would.
    let projector = eventwright::engine::projector::<Tally>();
    for entry in events.read_all(Cursor::START, 100).await.unwrap() {
        let mark = Mark {
            cursor: None,
            ..Mark::in_log(&entry.envelope, entry.cursor)
        };
        assert!(
            !projector
                .handle(&AtGeneration::new(read.clone(), 0), &entry.envelope, mark)
                .await
                .unwrap()
        );
    }
    for n in 0..3 {
        let row = read
            .get(&Tally::SCHEMA, &json!(format!("c{n}")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row["events"].clone(), row["last"].clone()),
            (json!(5), json!(4))
        );
    }
}

#[tokio::test]
async fn an_unreachable_cluster_is_named() {
    let config = CassandraConfig::new("127.0.0.1:1", "nowhere");
    let started = std::time::Instant::now();
    let error = cassandra::connect(&config).await.unwrap_err().to_string();
    assert!(
        error.contains("cannot reach Cassandra at 127.0.0.1:1"),
        "{error}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

/// Read-your-writes with Cassandra's checkpoints and per-aggregate progress; the events are in
/// SQLite.
#[tokio::test]
async fn reads_wait_for_the_token_of_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let events = event_log(dir.path()).await;
    common::consistency::reads_wait_for_the_token_of_a_command(events, read_store().await).await;
}

/// A rebuild on Cassandra, with the events in SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rebuild_while_running_matches_a_fold_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let events = event_log(dir.path()).await;
    common::rebuild::rebuild_while_running_matches_a_fold_of_the_log(events, read_store().await)
        .await;
}

#[tokio::test]
async fn the_projector_changes_every_row_holding_a_value_once() {
    common::rows_where::change_every_row_holding_a_value_once(read_store().await).await;
}

/// An event that changes every row holding a value: each row of aisle `a` gains one, the
/// others stay, and a redelivery changes nothing.
#[tokio::test]
async fn an_event_changes_every_row_holding_a_value_once() {
    let read = read_store().await;
    read.prepare(&SHELF).await.unwrap();
    for (n, aisle) in [(1, "a"), (2, "a"), (3, "b")] {
        put(read.as_ref(), shelf(n, aisle, 10), 1).await.unwrap();
    }
    let restock = event("restock-a", 1);
    let plus_one = || -> Decide<'static> {
        Box::new(|row| {
            let mut row = row.expect("a listed row");
            row["count"] = json!(row["count"].as_i64().unwrap() + 1);
            Ok(RowChange::Upsert(row))
        })
    };
    let mark = Mark::delivered(&restock);
    let applied = read
        .update_where(&SHELF, "shelf", mark, "aisle", &json!("a"), plus_one())
        .await
        .unwrap();
    assert!(applied);
    assert_eq!(aisle(read.as_ref(), "a").await, [11, 11]);
    assert_eq!(aisle(read.as_ref(), "b").await, [10]);
    let again = read
        .update_where(&SHELF, "shelf", mark, "aisle", &json!("a"), plus_one())
        .await
        .unwrap();
    assert!(!again, "a redelivery");
    assert_eq!(aisle(read.as_ref(), "a").await, [11, 11]);
}

#[tokio::test]
async fn every_list_through_an_index_matches_a_fold_of_the_events() {
    common::finds::every_list_matches_the_fold(read_store().await).await;
}

/// An order over every row has no partition to live in: refused when the table is prepared,
/// before any row is written.
#[tokio::test]
async fn an_order_without_a_partition_is_refused() {
    let error = read_store()
        .await
        .prepare(&common::finds::LoanByDue::SCHEMA)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Unsupported(message) if message.contains("partition")),
        "{error}"
    );
}

/// Cassandra takes no empty text as a partition key: a row whose listed field is empty is
/// written, and is in no list, rather than stopping its projection.
#[tokio::test]
async fn a_row_with_an_empty_listed_field_is_in_no_list() {
    let read = read_store().await;
    read.prepare(&SHELF).await.unwrap();
    let row = shelf(9, "", 4);
    assert!(put(read.as_ref(), row.clone(), 1).await.unwrap());
    assert_eq!(
        read.get(&SHELF, &row["id"])
            .await
            .unwrap()
            .map(|r| r["count"].clone()),
        Some(json!(4))
    );
    assert!(aisle(read.as_ref(), "").await.is_empty());
    put(read.as_ref(), shelf(9, "c", 5), 2).await.unwrap();
    assert_eq!(aisle(read.as_ref(), "c").await, [5]);
}

/// A projector stopped between a row and its lists leaves the row in its old value's list. An
/// event for the old value then changes nothing through that list, and the row's next write
/// takes it out: it does not stay in a list it left.
#[tokio::test]
async fn a_row_left_in_a_list_it_left_is_not_changed_through_it_nor_kept_there() {
    let config = CassandraConfig::new(nodes(), format!("t{}", uuid::Uuid::new_v4().simple()));
    let session = cassandra::connect(&config).await.expect("Cassandra is up");
    let keyspace = config.keyspace.clone();
    let read = CassandraReadStore::new(session.clone(), config);
    read.prepare(&SHELF).await.unwrap();
    let row = shelf(7, "a", 1);
    put(&read, row.clone(), 1).await.unwrap();
    // Moved to aisle b the way a writer that stopped before its lists leaves it.
    let id = row["id"].as_str().unwrap();
    session
        .query_unpaged(
            format!(
                "UPDATE {keyspace}.shelf SET aisle = 'b', eventwright_version = 2, \
                 eventwright_previous = {{'aisle': '\"a\"'}} WHERE id = {id}"
            ),
            (),
        )
        .await
        .unwrap();
    assert_eq!(aisle(&read, "a").await, [1], "the list it left");

    let restock = event("restock-a", 1);
    let plus_one: Decide<'static> = Box::new(|row| {
        let mut row = row.expect("a listed row");
        row["count"] = json!(row["count"].as_i64().unwrap() + 1);
        Ok(RowChange::Upsert(row))
    });
    read.update_where(
        &SHELF,
        "shelf",
        Mark::delivered(&restock),
        "aisle",
        &json!("a"),
        plus_one,
    )
    .await
    .unwrap();
    let stored = read.get(&SHELF, &row["id"]).await.unwrap().unwrap();
    assert_eq!(stored["count"], json!(1), "a row of aisle b, untouched");

    put(&read, shelf(7, "b", 5), 2).await.unwrap();
    assert!(
        aisle(&read, "a").await.is_empty(),
        "out of the list it left"
    );
    assert_eq!(aisle(&read, "b").await, [5]);
}

/// A projection changed since its tables were built, on Cassandra, with the events in SQLite.
#[tokio::test]
async fn a_changed_projection_is_rebuilt_by_its_task() {
    let dir = tempfile::tempdir().unwrap();
    let events = event_log(dir.path()).await;
    common::shapes::a_changed_projection_is_rebuilt_by_its_task(events, read_store().await).await;
}

#[tokio::test]
async fn a_joined_row_is_read_once_as_fresh_per_aggregate() {
    common::joins::a_joined_row_is_read_once_as_fresh_per_aggregate(read_store().await).await;
}

#[tokio::test]
async fn a_joined_row_is_read_once_as_fresh_in_the_log() {
    common::joins::a_joined_row_is_read_once_as_fresh_in_the_log(read_store().await).await;
}

/// A live query over rows in Cassandra, fed from the log, resumed mid-stream from its last
/// token.
#[tokio::test]
async fn a_watch_resumed_from_its_token_misses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let events = event_log(dir.path()).await;
    let read = read_store().await;
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
