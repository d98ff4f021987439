//! The SQLite adapters and the engine on top of them: no lost or duplicate events under
//! concurrent writers, redelivery that changes nothing, projections that catch up, and aggregate
//! snapshots.

use std::sync::Arc;
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::engine::ProjectionStatus;
use eventwright::store::generation::AtGeneration;
use eventwright::store::sqlite::{self, SqliteEventStore, SqliteReadStore};
use eventwright::store::{Cursor, EventStore, Mark, ReadStore, RowChange, StoreError};
use eventwright::{Dispatcher, Metadata, Projection, ProjectionEngine, ReadModels};
use serde_json::json;

mod common;

use common::*;

async fn stores(file: &std::path::Path) -> (Arc<dyn EventStore>, Arc<dyn ReadStore>, InProcBus) {
    let url = format!("sqlite://{}", file.display());
    let events: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::new(sqlite::connect(&url).await.unwrap()));
    events.prepare().await.unwrap();
    let read: Arc<dyn ReadStore> =
        Arc::new(SqliteReadStore::new(sqlite::connect(&url).await.unwrap()));
    read.prepare(&Tally::SCHEMA).await.unwrap();
    let bus = InProcBus::new(Arc::clone(&events));
    (events, read, bus)
}

#[tokio::test]
async fn a_taken_sequence_is_a_typed_conflict_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _, _) = stores(&dir.path().join("db")).await;
    events.append(vec![new_event("c", 1)]).await.unwrap();
    let error = events
        .append(vec![new_event("c", 2), new_event("c", 1)])
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::Conflict { sequence: 1, .. }),
        "{error}"
    );
    let stored = events.load("Counter", "c", 0).await.unwrap();
    assert_eq!(stored.len(), 1, "the batch was all or nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commands_on_one_aggregate_lose_nothing_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _, bus) = stores(&dir.path().join("db")).await;
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    dispatcher
        .dispatch(Start { id: "hot".into() }, Metadata::default())
        .await
        .unwrap();
    // Four dispatchers, as four processes would have, ten tasks each: commands within one
    // take turns, and the dispatchers race each other in the store.
    let processes: Vec<Dispatcher> = (0..4)
        .map(|_| Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone())))
        .collect();
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let dispatcher = processes[n % 4].clone();
            tokio::spawn(async move {
                dispatcher
                    .dispatch(Bump { id: "hot".into() }, Metadata::default())
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stored = events.load("Counter", "hot", 0).await.unwrap();
    let sequences: Vec<u64> = stored.iter().map(|e| e.sequence).collect();
    assert_eq!(sequences, (1..=41).collect::<Vec<_>>());
    let (counter, version) = dispatcher.load::<Counter>("hot").await.unwrap();
    assert_eq!(
        (counter.value, version),
        (40, 41),
        "every bump saw the one before it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_retries_a_lost_race_is_reported_as_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _, bus) = stores(&dir.path().join("db")).await;
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    dispatcher
        .dispatch(Start { id: "c".into() }, Metadata::default())
        .await
        .unwrap();
    // Separate dispatchers, as separate processes: their commands race in the store.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
            tokio::spawn(async move {
                dispatcher
                    .dispatch(BumpOnce { id: "c".into() }, Metadata::default())
                    .await
            })
        })
        .collect();
    let mut committed = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => committed += 1,
            Err(eventwright::DispatchError::Conflict { .. }) => {}
            Err(other) => panic!("unexpected {other}"),
        }
    }
    let stored = events.load("Counter", "c", 0).await.unwrap();
    assert_eq!(
        stored.len(),
        1 + committed,
        "exactly the committed commands left events"
    );
}

#[tokio::test]
async fn redelivered_events_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (events, read, bus) = stores(&dir.path().join("db")).await;
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    dispatcher
        .dispatch(Start { id: "c".into() }, Metadata::default())
        .await
        .unwrap();
    dispatcher
        .dispatch(Bump { id: "c".into() }, Metadata::default())
        .await
        .unwrap();
    let runner = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>();
    runner.catch_up().await.unwrap();
    // The same events again, as a bus might redeliver them after a crash.
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
    let tally: Tally = ReadModels::new(Arc::clone(&read))
        .get(&"c")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((tally.events, tally.last), (2, 1));
    assert!(
        !read
            .apply(
                &Tally::SCHEMA,
                Tally::NAME,
                &log_entry(Cursor {
                    transaction: 0,
                    position: 1
                }),
                RowChange::Delete(json!("c"))
            )
            .await
            .unwrap()
    );
    assert!(
        ReadModels::new(read)
            .get::<Tally>(&"c")
            .await
            .unwrap()
            .is_some(),
        "a stale change was refused"
    );
}

#[tokio::test]
async fn a_running_projection_follows_new_events_and_a_new_one_catches_up_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let (events, read, bus) = stores(&dir.path().join("db")).await;
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    for id in ["a", "b"] {
        dispatcher
            .dispatch(Start { id: id.into() }, Metadata::default())
            .await
            .unwrap();
    }
    // Started only now: it must first catch up on what happened before it existed.
    let runner = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>();
    let tasks = runner.spawn();
    dispatcher
        .dispatch(Bump { id: "a".into() }, Metadata::default())
        .await
        .unwrap();
    let models = ReadModels::new(Arc::clone(&read));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let a: Option<Tally> = models.get(&"a").await.unwrap();
        let b: Option<Tally> = models.get(&"b").await.unwrap();
        if a.as_ref().is_some_and(|a| a.last == 1) && b.is_some() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the projection never caught up: {a:?} {b:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = runner.status().await.unwrap();
    assert_eq!(
        status,
        [ProjectionStatus {
            projection: "tally",
            generation: 0,
            checkpoint: Cursor {
                transaction: 0,
                position: 3
            },
            behind: 0,
            changed: false,
        }]
    );
    for task in tasks {
        task.abort();
    }
}

#[tokio::test]
async fn list_pages_follow_the_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    for (position, id) in ["c", "a", "b"].into_iter().enumerate() {
        let row = json!({ "id": id, "events": 1, "last": 7 });
        let serde_json::Value::Object(row) = row else {
            unreachable!()
        };
        read.apply(
            &Tally::SCHEMA,
            Tally::NAME,
            &log_entry(Cursor {
                transaction: 0,
                position: position as u64 + 1,
            }),
            RowChange::Upsert(row),
        )
        .await
        .unwrap();
    }
    let models = ReadModels::new(read);
    let mut page = eventwright::PageRequest {
        limit: Some(2),
        cursor: None,
    };
    let first = models.list::<Tally>("last", &7, &page).await.unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    page.cursor = first.next_cursor;
    let second = models.list::<Tally>("last", &7, &page).await.unwrap();
    assert_eq!(
        second
            .items
            .iter()
            .map(|t| t.id.as_str())
            .collect::<Vec<_>>(),
        ["c"]
    );
    assert_eq!(second.next_cursor, None);

    // Every row, by the same pages.
    page.cursor = None;
    let mut all = Vec::new();
    loop {
        let listed = models.list_all::<Tally>(&page).await.unwrap();
        all.extend(listed.items.into_iter().map(|t| t.id));
        page.cursor = listed.next_cursor;
        if page.cursor.is_none() {
            break;
        }
    }
    assert_eq!(all, ["a", "b", "c"]);
}

/// An event store of its own, in a file that lives as long as the returned directory.
async fn event_store() -> (tempfile::TempDir, Arc<dyn EventStore>) {
    let dir = tempfile::tempdir().unwrap();
    let (events, _, _) = stores(&dir.path().join("db")).await;
    (dir, events)
}

#[tokio::test]
async fn snapshots_are_taken_every_n_events_and_loads_start_from_them() {
    let (_dir, events) = event_store().await;
    common::snapshots::are_taken_every_n_events_and_loads_start_from_them(events).await;
}

#[tokio::test]
async fn snapshots_that_no_longer_restore_are_ignored() {
    let (_dir, events) = event_store().await;
    common::snapshots::that_no_longer_restore_are_ignored(events).await;
}

#[tokio::test]
async fn snapshots_never_move_backwards() {
    let (_dir, events) = event_store().await;
    common::snapshots::never_move_backwards(events).await;
}

#[tokio::test]
async fn snapshots_are_optional_for_a_store() {
    let (_dir, events) = event_store().await;
    common::snapshots::are_optional_for_a_store(events).await;
}

#[tokio::test]
async fn snapshots_that_fail_never_fail_a_command() {
    let (_dir, events) = event_store().await;
    common::snapshots::that_fail_never_fail_a_command(events).await;
}

async fn event_store_in(dir: &tempfile::TempDir) -> Arc<dyn EventStore> {
    stores(&dir.path().join("db")).await.0
}

#[tokio::test]
async fn state_stored_aggregates_round_trip_through_their_state_row() {
    let dir = tempfile::tempdir().unwrap();
    common::state_stored::round_trip_through_their_state_row(event_store_in(&dir).await).await;
}

#[tokio::test]
async fn state_stored_commits_conflict_on_a_stale_version_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::state_stored::conflict_on_a_stale_version_and_write_nothing(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn state_stored_aggregates_serialize_concurrent_commands() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::state_stored::serialize_concurrent_commands(store, 8, 50).await;
}

#[tokio::test]
async fn state_stored_aggregates_refuse_a_row_that_no_longer_restores() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::state_stored::refuse_a_row_that_no_longer_restores(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_outbox_relay_resumes_from_its_checkpoint_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::relay::resumes_from_its_checkpoint_after_a_restart(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overlapping_batches_applied_at_once_count_each_event_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::sequence_marks::apply_overlapping_batches_at_once_each_event_once(read).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sequence_marks_apply_each_event_once_with_appliers_running_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::sequence_marks::apply_each_event_once_with_appliers_running_at_once(read).await;
}

#[tokio::test]
async fn a_log_batch_applies_each_rows_events_in_order_past_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::log_batches::apply_a_log_batch_in_order_per_row_past_the_checkpoint(read).await;
}

#[cfg(feature = "testing")]
#[test]
fn the_kit_changes_every_row_holding_a_value() {
    common::rows_where::the_kit_changes_every_row_holding_a_value();
}

#[tokio::test]
async fn a_lookup_in_a_log_batch_finds_the_rows_its_batch_wrote_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::rows_where::change_every_row_holding_a_value_in_log_batches(read).await;
}

#[tokio::test]
async fn an_event_changes_every_row_holding_a_value_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::rows_where::change_every_row_holding_a_value_once(read).await;
}

#[tokio::test]
async fn sequence_marks_reject_a_poison_event_without_moving_the_mark() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::sequence_marks::reject_a_poison_event_without_moving_the_mark(read).await;
}

#[tokio::test]
async fn reads_wait_for_the_token_of_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let (events, read, _) = stores(&dir.path().join("db")).await;
    common::consistency::reads_wait_for_the_token_of_a_command(events, read).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rebuild_while_running_matches_a_fold_of_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (events, read, _) = stores(&dir.path().join("db")).await;
    common::rebuild::rebuild_while_running_matches_a_fold_of_the_log(events, read).await;
}

#[tokio::test]
async fn a_conflicting_group_fails_alone_and_leaves_no_row() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _, _) = stores(&dir.path().join("db")).await;
    common::group_commit::a_conflicting_group_fails_alone_and_leaves_no_row(events).await;
}

#[tokio::test]
async fn a_cached_aggregate_moved_on_elsewhere_is_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _, _) = stores(&dir.path().join("db")).await;
    common::group_commit::a_cached_aggregate_moved_on_elsewhere_is_caught_up(events).await;
}

/// A command whose handler panics.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, eventwright::Command)]
#[command(aggregate = Counter)]
struct Explode {
    #[command(id)]
    id: String,
}

impl eventwright::Handle<Explode> for Counter {
    fn handle(&self, _: &Explode) -> Result<Vec<CounterEvent>, eventwright::Rejection> {
        panic!("a handler with a bug")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_fails_its_command_and_the_aggregate_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _, bus) = stores(&dir.path().join("db")).await;
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus));
    let id = || "fragile".to_owned();
    dispatcher
        .dispatch(Start { id: id() }, Metadata::default())
        .await
        .unwrap();
    let error = dispatcher
        .dispatch(Explode { id: id() }, Metadata::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, eventwright::DispatchError::Store(_)),
        "{error}"
    );
    let committed = dispatcher
        .dispatch(Bump { id: id() }, Metadata::default())
        .await
        .unwrap();
    assert_eq!(committed.version, 2);
}

#[tokio::test]
async fn a_failing_batch_writes_nothing_and_a_redelivered_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::sequence_marks::a_failing_batch_writes_nothing_and_a_redelivered_one_changes_nothing(
        read,
    )
    .await;
}

#[tokio::test]
async fn metadata_round_trips_with_its_trace_context() {
    let (_dir, events) = event_store().await;
    common::metadata::metadata_round_trips(events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfers_between_accounts_conserve_money_under_contention() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::conditional_append::transfers_conserve_money_under_contention(
        store,
        32,
        Duration::from_secs(10),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limit_two_accounts_share_is_never_overdrawn() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::conditional_append::a_shared_limit_is_never_overdrawn(store, 32).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_claim_of_a_unique_value_wins() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::conditional_append::exactly_one_claim_of_a_value_wins(store, 32, 100).await;
}

#[tokio::test]
async fn a_failed_condition_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    common::conditional_append::a_failed_condition_writes_nothing(event_store_in(&dir).await).await;
}

#[tokio::test]
async fn state_rows_move_with_their_events_in_a_conditional_append() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::conditional_append::state_rows_move_with_their_events(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfers_through_the_dispatcher_conserve_money_with_no_error_for_any_caller() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::decisions::transfers_conserve_money(store, 2, 32, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_loan_reads_the_book_and_the_member() {
    let dir = tempfile::tempdir().unwrap();
    common::decisions::a_loan_reads_the_book_and_the_member(event_store_in(&dir).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_book_holds_an_isbn() {
    let dir = tempfile::tempdir().unwrap();
    common::decisions::exactly_one_book_holds_an_isbn(event_store_in(&dir).await, 32, 100).await;
}

#[tokio::test]
async fn tagged_events_are_found_however_they_were_appended() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::facts::tagged_events_are_found_however_they_were_appended(store).await;
}

#[tokio::test]
async fn a_query_matching_more_events_than_read_is_a_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::facts::a_query_matching_more_events_than_read_is_a_conflict(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_doctors_day_is_never_overbooked() {
    let dir = tempfile::tempdir().unwrap();
    let store = event_store_in(&dir).await;
    common::facts::a_doctors_day_is_never_overbooked(store, 2, 32, 20).await;
}

#[tokio::test]
async fn decisions_appended_together_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    common::conditional_append::decisions_appended_together_fail_alone(event_store_in(&dir).await)
        .await;
}

#[tokio::test]
async fn every_list_matches_a_fold_of_the_events_applied_in_log_batches() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::finds::every_list_matches_the_fold_applied_in_batches(read).await;
}

#[tokio::test]
async fn every_list_through_an_index_matches_a_fold_of_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::finds::every_list_matches_the_fold(Arc::clone(&read)).await;
    common::finds::an_unpartitioned_order_matches_the_fold(read).await;
}

#[tokio::test]
async fn a_changed_projection_is_rebuilt_by_its_task() {
    let dir = tempfile::tempdir().unwrap();
    let (events, read, _) = stores(&dir.path().join("db")).await;
    common::shapes::a_changed_projection_is_rebuilt_by_its_task(events, read).await;
}

#[tokio::test]
async fn a_joined_row_is_read_once_as_fresh_per_aggregate() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::joins::a_joined_row_is_read_once_as_fresh_per_aggregate(read).await;
}

#[tokio::test]
async fn a_joined_row_is_read_once_as_fresh_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (_, read, _) = stores(&dir.path().join("db")).await;
    common::joins::a_joined_row_is_read_once_as_fresh_in_the_log(read).await;
}

/// Cards made while their books are retitled, every event through the engine as it runs: no
/// card ends with a stale title. Then the same log caught up by a new engine, which lists the
/// cards before the titles they read and must catch the titles up first.
#[tokio::test]
async fn cards_made_while_books_are_retitled_end_with_the_last_title() {
    use common::joins::{CardRow, TitleRow, titles_on_cards, write_library};
    let dir = tempfile::tempdir().unwrap();
    let (events, read, bus) = stores(&dir.path().join("db")).await;
    let engine = ProjectionEngine::new(
        Arc::clone(&read),
        Arc::clone(&events),
        Arc::new(bus.clone()),
    )
    .with::<CardRow>()
    .with::<TitleRow>()
    .with_retry_delay(Duration::from_millis(20));
    engine.prepare().await.unwrap();
    let tasks = engine.spawn();
    let written = {
        let writing = write_library(events.as_ref(), 8, 400);
        tokio::pin!(writing);
        // Woken as the service would be, after each commit.
        loop {
            tokio::select! {
                written = &mut writing => break written,
                () = tokio::time::sleep(Duration::from_millis(5)) => {
                    eventwright::bus::EventBus::publish(&bus, &[]).await.unwrap();
                }
            }
        }
    };
    let expected: std::collections::BTreeMap<String, String> = written
        .into_iter()
        .map(|(card, (_, title))| (card, title))
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while engine
        .status()
        .await
        .unwrap()
        .iter()
        .any(|status| status.behind > 0)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the projections catch up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tasks.iter().for_each(tokio::task::JoinHandle::abort);
    assert_eq!(
        titles_on_cards(read.as_ref(), expected.keys()).await,
        expected
    );

    let (_, fresh, _) = stores(&dir.path().join("again")).await;
    let again = ProjectionEngine::new(Arc::clone(&fresh), Arc::clone(&events), Arc::new(bus))
        .with::<CardRow>()
        .with::<TitleRow>();
    again.prepare().await.unwrap();
    again.catch_up().await.unwrap();
    assert_eq!(
        titles_on_cards(fresh.as_ref(), expected.keys()).await,
        expected
    );
}

/// An engine refuses a projection that reads one it does not run.
#[tokio::test]
async fn an_engine_runs_what_its_projections_read() {
    let dir = tempfile::tempdir().unwrap();
    let (events, read, bus) = stores(&dir.path().join("db")).await;
    let alone = ProjectionEngine::new(read, events, Arc::new(bus)).with::<common::joins::CardRow>();
    let refused = alone.prepare().await.unwrap_err().to_string();
    assert!(
        refused.contains("join_cards reads rows of join_titles, which this engine does not run"),
        "{refused}"
    );
}

#[cfg(feature = "testing")]
#[test]
fn the_kit_copies_joinable_rows() {
    common::joins::the_kit_copies_joinable_rows();
}

/// A live query over the log, resumed mid-stream from its last token.
#[tokio::test]
async fn a_watch_resumed_from_its_token_misses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (events, read, bus) = stores(&dir.path().join("db")).await;
    let engine = common::watches::engine(&read, &events, Arc::new(bus.clone()));
    let wake = move || {
        let bus = bus.clone();
        tokio::spawn(async move { eventwright::bus::EventBus::publish(&bus, &[]).await });
    };
    common::watches::a_watch_resumed_from_its_token_misses_and_repeats_nothing(
        events, read, engine, wake,
    )
    .await;
}

/// A server stopping ends every open watch, which would otherwise hold its shutdown up.
#[tokio::test]
async fn closing_the_read_models_ends_every_watch() {
    use common::joins::CardRow;
    use eventwright::query::Watched;
    let dir = tempfile::tempdir().unwrap();
    let (events, read, _) = stores(&dir.path().join("db")).await;
    read.prepare_bookkeeping().await.unwrap();
    read.prepare(&CardRow::SCHEMA).await.unwrap();
    let models = ReadModels::new(read).with_consistency(events, Duration::from_secs(1));
    let mut watch = models.watch::<CardRow>(Watched::All, None).await.unwrap();
    let snapshot = watch.next().await.unwrap();
    assert!(snapshot.rows.is_empty() && snapshot.gone.is_empty());
    let waiting = tokio::spawn(async move { watch.next().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "an idle watch waits for changes");
    models.close_watches();
    let ended = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the watch ends at once")
        .unwrap();
    assert!(
        matches!(ended, Err(eventwright::QueryError::Closing)),
        "{ended:?}"
    );
}

#[tokio::test]
async fn rows_a_where_event_deletes_are_sent_as_gone() {
    let dir = tempfile::tempdir().unwrap();
    let (events, read, bus) = stores(&dir.path().join("db")).await;
    let wake = {
        let bus = bus.clone();
        move || {
            let bus = bus.clone();
            tokio::spawn(async move { eventwright::bus::EventBus::publish(&bus, &[]).await });
        }
    };
    common::watches::rows_a_where_event_deletes_are_sent_as_gone(events, read, Arc::new(bus), wake)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workflows_settle_every_order_once_through_crashes_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("db").display());
    let store = Arc::new(SqliteEventStore::new(sqlite::connect(&url).await.unwrap()));
    store.prepare().await.unwrap();
    let events: Arc<dyn EventStore> = store.clone();
    let bus = InProcBus::new(Arc::clone(&events));
    common::workflows::every_order_settles_once(
        events,
        store,
        Arc::new(bus.clone()),
        Arc::new(bus),
        common::workflows::Restarts::LOG,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_command_sent_again_with_its_id_takes_effect_once() {
    let dir = tempfile::tempdir().unwrap();
    let (events, _, bus) = stores(&dir.path().join("db")).await;
    let bus = Arc::new(bus);
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

#[cfg(feature = "personal")]
#[tokio::test]
async fn forgotten_subjects_read_as_null() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("db").display());
    let store = Arc::new(SqliteEventStore::new(sqlite::connect(&url).await.unwrap()));
    store.prepare().await.unwrap();
    let keys = Arc::new(store.subject_keys(None));
    common::personal::forgotten_subjects_read_as_null(store, keys).await;
}

#[cfg(feature = "personal")]
#[tokio::test]
async fn keys_kept_wrapped_open_only_with_their_wrap() {
    let pool = sqlite::connect("sqlite::memory:").await.unwrap();
    let store = Arc::new(SqliteEventStore::new(pool.clone()));
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
