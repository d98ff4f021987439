//! Group commit and the dispatcher's cache, run by each SQL adapter's test binary: groups
//! committed together stay all-or-nothing one by one, and a cached aggregate that another
//! process moved on is caught up, never overwritten.

use std::sync::Arc;

use eventwright::bus::InProcBus;
use eventwright::store::{EventStore, StoreError};
use eventwright::{DispatchError, Dispatcher, Metadata};

use super::{Bump, Counter, Start, new_event};

pub async fn a_conflicting_group_fails_alone_and_leaves_no_row(events: Arc<dyn EventStore>) {
    events.append(vec![new_event("taken", 1)]).await.unwrap();
    let results = events
        .append_many(vec![
            vec![new_event("a", 1)],
            // Its second event is fine, its first is taken: neither may stay.
            vec![new_event("taken", 2), new_event("taken", 1)],
            vec![new_event("b", 1), new_event("b", 2), new_event("b", 3)],
        ])
        .await;
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].as_ref().unwrap().len(), 1);
    assert!(
        matches!(results[1], Err(StoreError::Conflict { .. })),
        "{:?}",
        results[1]
    );
    let b = results[2].as_ref().unwrap();
    assert_eq!(b.iter().map(|e| e.sequence).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(b.windows(2).all(|pair| pair[0].position < pair[1].position));
    let taken = events.load("Counter", "taken", 0).await.unwrap();
    assert_eq!(taken.len(), 1, "the conflicting group left nothing");
    assert_eq!(events.load("Counter", "a", 0).await.unwrap().len(), 1);
}

pub async fn a_cached_aggregate_moved_on_elsewhere_is_caught_up(events: Arc<dyn EventStore>) {
    let bus = InProcBus::new(Arc::clone(&events));
    let here = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    let elsewhere = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    let bump = || Bump {
        id: "shared".into(),
    };
    here.dispatch(
        Start {
            id: "shared".into(),
        },
        Metadata::default(),
    )
    .await
    .unwrap();
    here.dispatch(bump(), Metadata::default()).await.unwrap();
    // Another process moves the aggregate on; this one's cache does not know.
    for _ in 0..3 {
        elsewhere
            .dispatch(bump(), Metadata::default())
            .await
            .unwrap();
    }
    let committed = here.dispatch(bump(), Metadata::default()).await.unwrap();
    assert_eq!(
        committed.version, 6,
        "decided on the state after the other process's bumps"
    );
    let (counter, version) = here.load::<Counter>("shared").await.unwrap();
    assert_eq!((counter.value, version), (5, 6));

    // A start in a process that never saw the aggregate assumes it is new, and finds out from
    // the store that it is not.
    let fresh = Dispatcher::new(Arc::clone(&events), Arc::new(bus));
    let again = fresh
        .dispatch(
            Start {
                id: "shared".into(),
            },
            Metadata::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(again, DispatchError::AlreadyExists { .. }),
        "{again}"
    );
    assert_eq!(events.load("Counter", "shared", 0).await.unwrap().len(), 6);
}
