//! Read-your-writes, run by each adapter's test binary against its own stores: a read holding a
//! command's token waits until the projection has caught up, whether the projection is fed from
//! the log in order (a checkpoint) or by a partitioned broker (a mark per aggregate).

use std::sync::Arc;
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::consistency::ConsistencyToken;
use eventwright::engine::projector;
use eventwright::store::generation::AtGeneration;
use eventwright::store::{EventStore, Mark, ReadStore};
use eventwright::{Dispatcher, Metadata, Projection, ProjectionEngine, QueryError, ReadModels};

use super::{Bump, Start, Tally, Total, new_event};

const FIELD: &str = "header x-consistency-token";

/// How long a read waits in these tests before it answers "not yet": long enough to show that
/// it waited, short enough to keep the tests quick.
const WAIT: Duration = Duration::from_millis(200);

pub async fn reads_wait_for_the_token_of_a_command(
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
) {
    let bus = InProcBus::new(Arc::clone(&events));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    let runner = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>()
        .with::<Total>();
    runner.prepare().await.unwrap();
    let models = ReadModels::new(Arc::clone(&read)).with_consistency(Arc::clone(&events), WAIT);

    dispatcher
        .dispatch(Start { id: "rw".into() }, Metadata::default())
        .await
        .unwrap();
    let committed = dispatcher
        .dispatch(Bump { id: "rw".into() }, Metadata::default())
        .await
        .unwrap();
    let token = committed
        .consistency_token()
        .expect("a command with events has a token");
    assert_eq!(
        (token.aggregate_type.as_str(), token.version),
        ("Counter", 2)
    );
    let token = token.encode();

    // Nothing is projected yet: the read waits, then says so.
    let started = std::time::Instant::now();
    let error = models.wait_for::<Tally>(FIELD, &token).await.unwrap_err();
    assert!(
        matches!(
            error,
            QueryError::NotYetConsistent {
                projection: "tally",
                ..
            }
        ),
        "{error}"
    );
    assert!(
        started.elapsed() >= WAIT,
        "it waited {:?}",
        started.elapsed()
    );

    // Fed from the log in order, the projection's checkpoint passes the command's event.
    let waiting = {
        let patient = ReadModels::new(Arc::clone(&read))
            .with_consistency(Arc::clone(&events), Duration::from_secs(30));
        let token = token.clone();
        tokio::spawn(async move { patient.wait_for::<Tally>(FIELD, &token).await })
    };
    // PostgreSQL's log shows a commit only once every older transaction has ended, so
    // catching up may take more than one pass while other tests write.
    while !waiting.is_finished() {
        runner.catch_up().await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    waiting.await.unwrap().expect("caught up within the wait");
    let row: Tally = models.get(&"rw").await.unwrap().unwrap();
    assert_eq!(
        (row.events, row.last),
        (2, 1),
        "the read sees the command's effect"
    );

    // Fed by a broker, one aggregate's events at a time: the projection's mark for the
    // aggregate must reach the last event up to the token that it consumes.
    events
        .append(vec![new_event("rw2", 1), new_event_of("rw2", 2, "Renamed")])
        .await
        .unwrap();
    let token_at = |version| {
        ConsistencyToken {
            aggregate_type: "Counter".to_owned(),
            aggregate_id: "rw2".to_owned(),
            version,
        }
        .encode()
    };
    let (started_rw2, renamed_rw2) = (token_at(1), token_at(2));
    let not_yet = models
        .wait_for::<Total>(FIELD, &started_rw2)
        .await
        .unwrap_err();
    assert!(
        matches!(not_yet, QueryError::NotYetConsistent { .. }),
        "{not_yet}"
    );
    let broker = projector::<Total>();
    for envelope in &events.load("Counter", "rw2", 0).await.unwrap()[..1] {
        broker
            .handle(
                &AtGeneration::new(read.clone(), 0),
                envelope,
                Mark::delivered(envelope),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        read.progress(&Total::SCHEMA, Total::NAME, "Counter", "rw2")
            .await
            .unwrap(),
        1
    );
    models
        .wait_for::<Total>(FIELD, &started_rw2)
        .await
        .expect("the mark reached the token");
    // The Renamed event is not one the projection consumes: it leaves no mark, and needs none.
    models
        .wait_for::<Total>(FIELD, &renamed_rw2)
        .await
        .expect("a token whose last event the projection does not consume");
    // Tally is fed from the log, and its checkpoint has not passed rw2.
    assert!(models.wait_for::<Tally>(FIELD, &started_rw2).await.is_err());

    // Tokens the service did not hand out are the caller's mistake, naming where they came from.
    for bad in ["zz".to_owned(), "7b7d".to_owned(), "not hex".to_owned()] {
        let error = models.wait_for::<Tally>(FIELD, &bad).await.unwrap_err();
        assert!(
            matches!(error, QueryError::InvalidParameter { field: FIELD, .. }),
            "{bad}: {error}"
        );
    }
    let beyond = ConsistencyToken::parse(&token).map(|token| ConsistencyToken {
        version: 99,
        ..token
    });
    let error = models
        .wait_for::<Tally>(FIELD, &beyond.unwrap().encode())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("has not recorded"), "{error}");
    let without = ReadModels::new(read).wait_for::<Tally>(FIELD, &token).await;
    assert!(matches!(without, Err(QueryError::InvalidParameter { .. })));
}

/// An event as recorded, of a kind the counter's projections do not know.
fn new_event_of(aggregate_id: &str, sequence: u64, event_type: &str) -> eventwright::NewEvent {
    let mut event = new_event(aggregate_id, sequence);
    event.event_type = event_type.to_owned();
    event
}
