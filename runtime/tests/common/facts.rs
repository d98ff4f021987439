//! Decisions that read facts, run by each adapter's test binary against its own store: tagged
//! events are found however they were appended, a query that matches more than was read is a
//! conflict, and a doctor's day is never overbooked by racing bookings.
//!
//! The overbooking check folds the appointments' stored events itself, in log position order,
//! independently of the facts under test.

use std::sync::Arc;

use eventwright::bus::InProcBus;
use eventwright::store::{ConditionalAppend, EventStore, QueryRead, StoreError, StreamVersion};
use eventwright::tag::{EventQuery, Tag};
use eventwright::{DispatchError, Dispatcher, EventEnvelope, Metadata, NewEvent};
use serde_json::json;

use super::clinic::{BookAppointment, Cancel, DOCTORS_DAY, RegisterPatient};

fn event(aggregate_type: &str, id: &str, sequence: u64, tags: &[(&str, &str)]) -> NewEvent {
    NewEvent {
        event_id: uuid::Uuid::now_v7(),
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: id.to_owned(),
        sequence,
        event_type: "Noted".to_owned(),
        event_version: 1,
        timestamp: chrono::Utc::now(),
        metadata: Metadata::default(),
        payload: json!({}),
        tags: tags
            .iter()
            .map(|(key, value)| Tag::new(key, value))
            .collect(),
    }
}

fn about(value: &str) -> EventQuery {
    EventQuery::default().or("Note", &[], vec![Tag::new("about", value)])
}

fn ids(events: &[EventEnvelope]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event.aggregate_id.as_str())
        .collect()
}

/// Tag rows are written by every way of appending: a plain append, a group commit (but not
/// for a group that conflicted), a state-stored commit and a conditional append.
pub async fn tagged_events_are_found_however_they_were_appended(store: Arc<dyn EventStore>) {
    store.prepare().await.unwrap();
    let x = [("about", "x")];
    store
        .append(vec![event("Note", "plain", 1, &x)])
        .await
        .unwrap();
    store
        .append(vec![event("Note", "untagged", 1, &[])])
        .await
        .unwrap();
    store
        .append(vec![event("Note", "taken", 1, &[])])
        .await
        .unwrap();
    let grouped = store
        .append_many(vec![
            vec![event("Note", "grouped", 1, &x)],
            vec![event("Note", "taken", 1, &x)],
        ])
        .await;
    assert!(grouped[0].is_ok(), "{grouped:?}");
    assert!(
        matches!(grouped[1], Err(StoreError::Conflict { .. })),
        "{grouped:?}"
    );
    store
        .commit_state(0, json!({}), vec![event("Note", "stated", 1, &x)])
        .await
        .unwrap();
    let conditional = ConditionalAppend {
        read: vec![StreamVersion {
            aggregate_type: "Note".to_owned(),
            aggregate_id: "decided".to_owned(),
            version: 0,
        }],
        events: vec![event(
            "Note",
            "decided",
            1,
            &[("about", "x"), ("about", "y")],
        )],
        ..ConditionalAppend::default()
    };
    store.append_if(conditional).await.unwrap();
    let found = store.read_matching(&about("x")).await.unwrap();
    assert_eq!(ids(&found), ["plain", "grouped", "stated", "decided"]);
    let positions: Vec<u64> = found.iter().map(|event| event.position).collect();
    assert!(positions.is_sorted(), "{positions:?}");
    assert_eq!(
        ids(&store.read_matching(&about("y")).await.unwrap()),
        ["decided"]
    );
    // Every tag of an item must be there; another aggregate type or event type is not it.
    let both = EventQuery::default().or(
        "Note",
        &["Noted"],
        vec![Tag::new("about", "x"), Tag::new("about", "y")],
    );
    assert_eq!(ids(&store.read_matching(&both).await.unwrap()), ["decided"]);
    let other_type = EventQuery::default().or("Memo", &[], vec![Tag::new("about", "x")]);
    assert!(store.read_matching(&other_type).await.unwrap().is_empty());
    let other_name = EventQuery::default().or("Note", &["Erased"], vec![Tag::new("about", "x")]);
    assert!(store.read_matching(&other_name).await.unwrap().is_empty());
}

/// An append that read a query appends only while the query matches the events it read:
/// one more matching event, appended by anyone, is a conflict; one that does not match is not.
pub async fn a_query_matching_more_events_than_read_is_a_conflict(store: Arc<dyn EventStore>) {
    store.prepare().await.unwrap();
    let decided = |id: &str, matched: u64| ConditionalAppend {
        read: vec![StreamVersion {
            aggregate_type: "Note".to_owned(),
            aggregate_id: id.to_owned(),
            version: 0,
        }],
        queries: vec![QueryRead {
            query: about("x"),
            matched,
        }],
        events: vec![event("Note", id, 1, &[("about", "x")])],
        ..ConditionalAppend::default()
    };
    store
        .append(vec![event("Note", "first", 1, &[("about", "x")])])
        .await
        .unwrap();
    store
        .append(vec![event("Note", "elsewhere", 1, &[("about", "z")])])
        .await
        .unwrap();
    let stale = store.append_if(decided("stale", 0)).await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    assert!(store.load("Note", "stale", 0).await.unwrap().is_empty());
    store.append_if(decided("fresh", 1)).await.unwrap();
    // Its own event now matches too: what it read is two events behind.
    let again = store.append_if(decided("again", 1)).await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    let found = store.read_matching(&about("x")).await.unwrap();
    assert_eq!(ids(&found), ["first", "fresh"]);
}

/// `tasks` bookings race for one doctor's day on `processes` dispatchers, `rounds` times; the
/// winners are then cancelled by a plain command, which frees their places. Every round
/// exactly [`DOCTORS_DAY`] win and every other caller is told the day is full; folding the
/// appointments' events in log order, the day never holds more.
pub async fn a_doctors_day_is_never_overbooked(
    store: Arc<dyn EventStore>,
    processes: usize,
    tasks: usize,
    rounds: usize,
) {
    let bus = InProcBus::new(Arc::clone(&store));
    let dispatchers: Vec<Dispatcher> = (0..processes)
        .map(|_| Dispatcher::new(Arc::clone(&store), Arc::new(bus.clone())))
        .collect();
    for task in 0..tasks {
        let register = RegisterPatient {
            id: format!("p-{task}"),
            name: format!("Patient {task}"),
        };
        dispatchers[0]
            .dispatch(register, Metadata::default())
            .await
            .unwrap();
    }
    let mut appointments = Vec::new();
    for round in 0..rounds {
        let bookings: Vec<_> = (0..tasks)
            .map(|task| {
                let dispatcher = dispatchers[task % processes].clone();
                let booking = BookAppointment {
                    id: format!("a-{round}-{task}"),
                    patient: format!("p-{task}"),
                    doctor: "dr-who".to_owned(),
                    day: "2026-12-07".to_owned(),
                };
                tokio::spawn(async move {
                    dispatcher
                        .dispatch_decision(booking, Metadata::default())
                        .await
                })
            })
            .collect();
        let mut winners = Vec::new();
        for (task, booking) in bookings.into_iter().enumerate() {
            let id = format!("a-{round}-{task}");
            match booking.await.unwrap() {
                Ok(_) => winners.push(id.clone()),
                Err(DispatchError::Rejected(reason)) => {
                    assert_eq!(
                        reason.message(),
                        "the doctor's day is full",
                        "round {round}"
                    );
                }
                Err(error) => panic!("round {round}: {error}"),
            }
            appointments.push(id);
        }
        assert_eq!(
            winners.len(),
            DOCTORS_DAY as usize,
            "round {round}: {winners:?}"
        );
        for id in winners {
            dispatchers[0]
                .dispatch(Cancel { id }, Metadata::default())
                .await
                .unwrap();
        }
    }

    let mut log = Vec::new();
    for id in &appointments {
        log.extend(store.load("Appointment", id, 0).await.unwrap());
    }
    log.sort_by_key(|event| event.position);
    let mut booked = 0_i64;
    let mut most = 0;
    for event in &log {
        booked += match event.event_type.as_str() {
            "Booked" => 1,
            "Cancelled" => -1,
            other => panic!("an appointment recorded {other}"),
        };
        most = most.max(booked);
    }
    assert_eq!(most, i64::from(DOCTORS_DAY), "the day held {most} at once");
    assert_eq!(booked, 0, "every winner was cancelled");
    assert_eq!(log.len(), 2 * rounds * DOCTORS_DAY as usize);
}
