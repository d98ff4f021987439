//! A projection whose tables were built for another shape (a list added since) is reported by
//! the engine, until a rebuild builds tables for the shape it has: run by each adapter's test
//! binary against its own read store.

use std::sync::Arc;
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::engine::Marks;
use eventwright::engine::projector;
use eventwright::engine::rebuild::Rebuild;
use eventwright::store::{EventStore, ReadStore};
use eventwright::{Change, EventEnvelope, Project, Projection, ProjectionEngine};
use serde::{Deserialize, Serialize};

use super::{CounterEvent, Started, Tally};

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

pub async fn a_changed_projection_is_reported_until_rebuilt(
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
) {
    let engine = |read: &Arc<dyn ReadStore>| {
        let bus = InProcBus::new(Arc::clone(&events)).with_poll_interval(Duration::from_millis(20));
        ProjectionEngine::new(Arc::clone(read), Arc::clone(&events), Arc::new(bus))
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

    assert_ne!(Tally::SCHEMA.shape(), TallyListed::SCHEMA.shape());
    let after = engine(&read).with::<TallyListed>();
    after.prepare().await.unwrap();
    let status = after.status().await.unwrap();
    assert!(
        status[0].changed,
        "tables built for another shape: {status:?}"
    );

    let rebuilt = Rebuild {
        events: Arc::clone(&events),
        read: Arc::clone(&read),
        projector: projector::<TallyListed>(),
        marks: Marks::Checkpoint,
        grace: Duration::from_millis(10),
    }
    .run(|_| {})
    .await
    .unwrap();
    let status = after.status().await.unwrap();
    assert_eq!(status[0].generation, rebuilt.generation);
    assert!(!status[0].changed, "the rebuilt generation is built for it");
}
