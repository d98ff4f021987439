//! An event's metadata comes back as it went in, the trace context included. The stores add the
//! trace context's column to the event table as they prepare it, so a table made before it was
//! stored takes the same path as a new one.

use std::sync::Arc;

use eventwright::store::EventStore;
use eventwright::{Metadata, NewEvent};

use super::log::settled_log;
use super::new_event;

/// `events` is prepared; preparing it again, as every start of a service does, changes nothing.
pub async fn metadata_round_trips(events: Arc<dyn EventStore>) {
    events.prepare().await.unwrap();
    let traced = Metadata {
        correlation_id: Some("corr-1".into()),
        causation_id: Some("cause-1".into()),
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
        actor: Some("librarian-7".into()),
    };
    let stored = events
        .append(vec![
            NewEvent {
                metadata: traced.clone(),
                ..new_event("traced", 1)
            },
            new_event("traced", 2),
        ])
        .await
        .unwrap();
    let expected = [traced, Metadata::default()];
    let metadata = |events: Vec<eventwright::EventEnvelope>| -> Vec<Metadata> {
        events.into_iter().map(|event| event.metadata).collect()
    };
    assert_eq!(metadata(stored), expected);
    let loaded = events.load("Counter", "traced", 0).await.unwrap();
    assert_eq!(metadata(loaded), expected);
    let logged = settled_log(events.as_ref(), 10)
        .await
        .into_iter()
        .map(|entry| entry.envelope)
        .collect();
    assert_eq!(metadata(logged), expected);
}
