//! Projections fed by a partitioned broker, run by each adapter's test binary against its own
//! read store: each aggregate's events arrive in order but aggregates interleave, several
//! appliers run at once, and everything may be delivered again.

use std::sync::Arc;

use eventwright::engine::projector;
use eventwright::store::generation::AtGeneration;
use eventwright::store::{Mark, ReadStore};
use eventwright::{EventEnvelope, Projection};
use serde_json::json;

use super::{Tally, Total};

/// `counters` aggregates with `events` events each, as a broker would hand them over.
fn streams(counters: usize, events: u64) -> Vec<Vec<EventEnvelope>> {
    (0..counters)
        .map(|n| {
            (1..=events)
                .map(|sequence| {
                    let mut event = super::new_event(&format!("c{n}"), sequence);
                    if sequence > 1 {
                        event.event_type = "Bumped".to_owned();
                        event.payload = json!({ "to": sequence - 1 });
                    }
                    EventEnvelope::from_new(event, 0)
                })
                .collect()
        })
        .collect()
}

fn mark(envelope: &EventEnvelope) -> Mark<'_> {
    Mark::delivered(envelope)
}

/// One task per aggregate applies its stream while the others do theirs, then every stream is
/// delivered again: each row counts each event exactly once, the shared row included.
pub async fn apply_each_event_once_with_appliers_running_at_once(read: Arc<dyn ReadStore>) {
    read.prepare(&Tally::SCHEMA).await.unwrap();
    read.prepare(&Total::SCHEMA).await.unwrap();
    let (counters, events) = (8, 40);
    for round in 0..2 {
        let appliers: Vec<_> = streams(counters, events)
            .into_iter()
            .map(|stream| {
                let read = Arc::clone(&read);
                tokio::spawn(async move {
                    let mut applied = 0;
                    for envelope in &stream {
                        for projector in [projector::<Tally>(), projector::<Total>()] {
                            let done = projector
                                .handle(
                                    &AtGeneration::new(read.clone(), 0),
                                    envelope,
                                    mark(envelope),
                                )
                                .await
                                .unwrap();
                            applied += usize::from(done);
                        }
                    }
                    applied
                })
            })
            .collect();
        let mut applied = 0;
        for applier in appliers {
            applied += applier.await.unwrap();
        }
        let expected = if round == 0 {
            2 * counters * events as usize
        } else {
            0
        };
        assert_eq!(
            applied, expected,
            "round {round}: redelivery applies nothing"
        );
    }
    counted_each_event_once(read.as_ref(), counters, events).await;
}

/// That the Total and every counter's Tally row count each of [`streams`]' events once.
async fn counted_each_event_once(read: &dyn ReadStore, counters: usize, events: u64) {
    let total = read
        .get(&Total::SCHEMA, &json!("all"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(total["events"], json!(counters as u64 * events));
    for n in 0..counters {
        let row = read
            .get(&Tally::SCHEMA, &json!(format!("c{n}")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row["events"].clone(), row["last"].clone()),
            (json!(events), json!(events - 1)),
            "c{n}"
        );
    }
}

/// An event the projection cannot apply to the row it finds fails as poison, writes nothing and
/// leaves the mark where it was, so the next event of that aggregate still applies.
pub async fn reject_a_poison_event_without_moving_the_mark(read: Arc<dyn ReadStore>) {
    read.prepare(&Tally::SCHEMA).await.unwrap();
    let mut stream = streams(1, 3).remove(0);
    stream[1].payload = json!({ "to": "not a number" });
    let tally = projector::<Tally>();
    assert!(
        tally
            .handle(
                &AtGeneration::new(read.clone(), 0),
                &stream[0],
                mark(&stream[0])
            )
            .await
            .unwrap()
    );
    let error = tally
        .handle(
            &AtGeneration::new(read.clone(), 0),
            &stream[1],
            mark(&stream[1]),
        )
        .await
        .unwrap_err();
    assert!(error.is_poison(), "{error}");
    assert!(
        tally
            .handle(
                &AtGeneration::new(read.clone(), 0),
                &stream[2],
                mark(&stream[2])
            )
            .await
            .unwrap()
    );
    let row = read
        .get(&Tally::SCHEMA, &json!("c0"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row["events"], json!(2));
}

/// A batch of updates in one transaction: a failing one leaves nothing written, and a batch
/// delivered again changes nothing. For stores with transactions.
pub async fn a_failing_batch_writes_nothing_and_a_redelivered_one_changes_nothing(
    read: Arc<dyn ReadStore>,
) {
    use eventwright::store::{Decide, RowChange, Target, Update};

    read.prepare(&Tally::SCHEMA).await.unwrap();
    let events: Vec<EventEnvelope> = streams(2, 3).into_iter().flatten().collect();
    let updates = |fail: bool| {
        events
            .iter()
            .enumerate()
            .map(|(n, envelope)| {
                let id = envelope.aggregate_id.clone();
                let decide: Decide<'_> = if fail && n == events.len() - 1 {
                    Box::new(|_| Err("this event cannot apply".to_owned()))
                } else {
                    let sequence = envelope.sequence;
                    Box::new(move |_| {
                        let mut row = eventwright::store::Row::new();
                        row.insert("id".into(), json!(id));
                        row.insert("events".into(), json!(sequence));
                        row.insert("last".into(), json!(sequence));
                        Ok(RowChange::Upsert(row))
                    })
                };
                Update {
                    mark: Mark::delivered(envelope),
                    target: Target::Key(json!(envelope.aggregate_id)),
                    decide,
                }
            })
            .collect::<Vec<_>>()
    };
    let failed = read
        .update_many(&Tally::SCHEMA, Tally::NAME, updates(true))
        .await;
    assert!(failed.is_err());
    assert_eq!(
        read.get(&Tally::SCHEMA, &json!("c0")).await.unwrap(),
        None,
        "nothing written"
    );
    let applied = read
        .update_many(&Tally::SCHEMA, Tally::NAME, updates(false))
        .await
        .unwrap();
    assert_eq!(applied, vec![true; events.len()]);
    let again = read
        .update_many(&Tally::SCHEMA, Tally::NAME, updates(false))
        .await
        .unwrap();
    assert_eq!(
        again,
        vec![false; events.len()],
        "a redelivered batch is skipped"
    );
    let row = read
        .get(&Tally::SCHEMA, &json!("c1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row["events"], json!(3));
}

/// Batches applied by appliers running at once, overlapping as after a rebalance: every event
/// before the overlap was applied, then each applier goes on in order from where its consumer's
/// offset stood, some of the same events in several appliers' batches. Each event counts once,
/// the row every aggregate shares included.
pub async fn apply_overlapping_batches_at_once_each_event_once(read: Arc<dyn ReadStore>) {
    read.prepare(&Tally::SCHEMA).await.unwrap();
    read.prepare(&Total::SCHEMA).await.unwrap();
    let (counters, events) = (6, 40);
    let streams = streams(counters, events);
    // The log as a broker's partitions would hand it over together: aggregates interleaved.
    let log: Arc<Vec<EventEnvelope>> = Arc::new(
        (0..events as usize)
            .flat_map(|n| streams.iter().map(move |stream| stream[n].clone()))
            .collect(),
    );
    let apply = |from: usize, to: usize| {
        let (read, log) = (Arc::clone(&read), Arc::clone(&log));
        tokio::spawn(async move {
            let store = AtGeneration::new(read, 0);
            for batch in log[from..to].chunks(25) {
                let marked: Vec<(&EventEnvelope, Mark<'_>)> = batch
                    .iter()
                    .map(|envelope| (envelope, mark(envelope)))
                    .collect();
                for projector in [projector::<Tally>(), projector::<Total>()] {
                    // Applied as one, never one by one after a failure: appliers of batches
                    // sharing rows and aggregates take turns, in one order, without deadlock.
                    projector
                        .handle_many(&store, &marked)
                        .await
                        .expect("a batch applies whole");
                }
            }
        })
    };
    apply(0, 120).await.unwrap();
    let overlapping = [apply(60, 180), apply(100, 240), apply(120, 200)];
    for applier in overlapping {
        applier.await.unwrap();
    }
    counted_each_event_once(read.as_ref(), counters, events).await;
}
