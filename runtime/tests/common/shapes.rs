//! A projection whose tables were built for another shape (a list and a field added since) is
//! reported by the engine, answers its queries with `Rebuilding` rather than read tables that
//! cannot hold it, and is rebuilt by its own task before that applies anything: run by each
//! adapter's test binary against its own read store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventwright::bus::InProcBus;
use eventwright::store::{EventStore, ReadStore};
use eventwright::{
    Change, Dispatcher, EventEnvelope, Metadata, PageRequest, Project, Projection,
    ProjectionEngine, QueryError, ReadModels,
};
use serde::{Deserialize, Serialize};

use super::{CounterEvent, Start, Started, Tally};

/// `Tally`'s table (the same name), with a list by its count added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = CounterEvent, key = id, name = "tally", ignore(super::Bumped))]
pub struct TallyListed {
    pub id: String,
    #[projection(index)]
    pub events: i64,
    #[projection(index)]
    pub last: i64,
    pub extra: i64,
}

impl Project<Started> for TallyListed {
    fn project(_: Option<Self>, _: &Started, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(TallyListed {
            id: envelope.aggregate_id.clone(),
            events: 1,
            last: 0,
            extra: 0,
        })
    }
}

pub async fn a_changed_projection_is_rebuilt_by_its_task(
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
) {
    let bus = InProcBus::new(Arc::clone(&events)).with_poll_interval(Duration::from_millis(20));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    let engine = |read: &Arc<dyn ReadStore>| {
        ProjectionEngine::new(Arc::clone(read), Arc::clone(&events), Arc::new(bus.clone()))
            .with_retry_delay(Duration::from_millis(50))
    };
    let before = engine(&read).with::<Tally>();
    before.prepare().await.unwrap();
    assert!(
        !before.status().await.unwrap()[0].changed,
        "built for itself"
    );
    // The same projection, deployed again: nothing changed.
    before.prepare().await.unwrap();
    assert!(!before.status().await.unwrap()[0].changed);
    for id in ["a", "b", "c"] {
        start(&dispatcher, id).await;
    }
    before.catch_up().await.unwrap();

    assert_ne!(Tally::SCHEMA.shape(), TallyListed::SCHEMA.shape());
    let after = engine(&read).with::<TallyListed>();
    after.prepare().await.unwrap();
    let status = after.status().await.unwrap();
    assert!(
        status[0].changed,
        "tables built for another shape: {status:?}"
    );
    // Its live tables have no `extra` column: its queries say so rather than fail.
    let models = ReadModels::new(Arc::clone(&read));
    let refused = models.get::<TallyListed>(&"a").await;
    assert!(
        matches!(
            refused,
            Err(QueryError::Rebuilding {
                projection: "tally"
            })
        ),
        "{refused:?}"
    );

    let tasks = after.spawn();
    start(&dispatcher, "d").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let listed = loop {
        // Queries follow the switch within a second.
        let page = models
            .list::<TallyListed>("events", &1, &PageRequest::default())
            .await;
        match page {
            Ok(page) if page.items.len() == 4 => break page.items,
            Ok(_) | Err(QueryError::Rebuilding { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("the rebuilt projection lists every tally by now: {other:?}"),
        }
    };
    let ids: Vec<&str> = listed.iter().map(|row| row.id.as_str()).collect();
    assert_eq!(
        ids,
        ["a", "b", "c", "d"],
        "the replayed rows and the one after"
    );
    let status = after.status().await.unwrap();
    assert_eq!(status[0].generation, 1);
    assert!(!status[0].changed, "the rebuilt generation is built for it");
    // And its task goes on applying new events in the new generation.
    start(&dispatcher, "e").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while models.get::<TallyListed>(&"e").await.unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the event after the switch is applied"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for task in tasks {
        task.abort();
    }
}

async fn start(dispatcher: &Dispatcher, id: &str) {
    dispatcher
        .dispatch(Start { id: id.into() }, Metadata::default())
        .await
        .unwrap();
}
