//! Rebuilding a projection while the service runs, run by each adapter's test binary against
//! its own read store: commands keep coming and the live projectors keep running, the rebuilt
//! generation holds exactly the rows of a fold of the log, the other projection is untouched,
//! and the live projector carries on in the new generation.

use std::sync::Arc;
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::engine::Marks;
use eventwright::engine::projector;
use eventwright::engine::rebuild::Rebuild;
use eventwright::store::generation::AtGeneration;
use eventwright::store::{Cursor, EventStore, ReadStore};
use eventwright::{Dispatcher, Metadata, Projection, ProjectionEngine};
use serde_json::json;

use super::log::settled_log;
use super::{Bump, Start, Tally, Total, folded_tallies, tallies};

const COUNTERS: usize = 6;

pub async fn rebuild_while_running_matches_a_fold_of_the_log(
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
) {
    let bus = InProcBus::new(Arc::clone(&events)).with_poll_interval(Duration::from_millis(20));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    let runner = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>()
        .with::<Total>()
        .with_retry_delay(Duration::from_millis(50));
    runner.prepare().await.unwrap();
    let live = runner.spawn();
    for n in 0..COUNTERS / 2 {
        bump(&dispatcher, n, 10).await;
    }

    // Commands keep coming while the rebuild runs.
    let writing = {
        let dispatcher = dispatcher.clone();
        tokio::spawn(async move {
            for n in COUNTERS / 2..COUNTERS {
                bump(&dispatcher, n, 10).await;
            }
        })
    };
    let rebuild = Rebuild {
        events: Arc::clone(&events),
        read: Arc::clone(&read),
        projector: projector::<Tally>(),
        marks: Marks::Checkpoint,
        grace: Duration::from_millis(300),
    };
    let mut reported = 0;
    let rebuilt = rebuild
        .run(|progress| reported = progress.events)
        .await
        .unwrap();
    assert_eq!(rebuilt.generation, 1);
    assert!(
        rebuilt.events > 0 && reported == rebuilt.events,
        "{rebuilt:?}"
    );
    writing.await.unwrap();
    assert_eq!(read.active(Tally::NAME).await.unwrap(), 1);
    assert_eq!(
        read.active(Total::NAME).await.unwrap(),
        0,
        "others untouched"
    );

    // The live projector switched to the new generation and keeps it up to date: once it has
    // caught up with the log, its rows are a fold of the log.
    let generation = AtGeneration::new(Arc::clone(&read), 1);
    let log = settled_log(events.as_ref(), 10_000).await;
    let expected = folded_tallies(&log, COUNTERS);
    let last = log.last().unwrap().cursor;
    assert_eq!(
        events.count_after(Cursor::START).await.unwrap(),
        log.len() as u64
    );
    assert_eq!(events.count_after(last).await.unwrap(), 0);
    assert_eq!(
        events.count_after(log[log.len() - 3].cursor).await.unwrap(),
        2
    );
    let waited = tokio::time::timeout(Duration::from_secs(30), async {
        while tallies(&generation, COUNTERS).await != expected {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "rebuilt rows {:?}, expected {expected:?}",
        tallies(&generation, COUNTERS).await
    );
    // The other projection saw every event once, rebuild or not.
    let total = read.get(&Total::SCHEMA, &json!("all")).await.unwrap();
    assert_eq!(total.unwrap()["events"], json!(log.len()));
    // The old generation is gone: its checkpoint with its tables.
    assert_eq!(read.checkpoint(Tally::NAME).await.unwrap(), Cursor::START);

    // A second rebuild starts from nothing again and ends with the same rows.
    let again = Rebuild {
        grace: Duration::ZERO,
        ..rebuild
    };
    assert_eq!(again.run(|_| {}).await.unwrap().generation, 2);
    let second = AtGeneration::new(Arc::clone(&read), 2);
    assert_eq!(tallies(&second, COUNTERS).await, expected);
    for task in live {
        task.abort();
    }
}

async fn bump(dispatcher: &Dispatcher, counter: usize, times: usize) {
    let id = format!("c{counter}");
    dispatcher
        .dispatch(Start { id: id.clone() }, Metadata::default())
        .await
        .unwrap();
    for _ in 0..times {
        dispatcher
            .dispatch(Bump { id: id.clone() }, Metadata::default())
            .await
            .unwrap();
    }
}
