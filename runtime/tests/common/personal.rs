//! Personal fields sealed per subject, and forgotten: the event store keeps only ciphertext,
//! every reader through the sealed store sees the fields, and once a subject is forgotten its
//! fields read as `null` everywhere, while everyone else's stay.

use std::sync::Arc;

use chrono::Utc;
use eventwright::Metadata;
use eventwright::bus::InProcBus;
use eventwright::engine::Feed;
use eventwright::event::{EventEnvelope, NewEvent};
use eventwright::personal::{
    KeyWrap, PersonalData, SealedEventStore, SealedFeed, Shredder, Subject, SubjectKeys, SubjectOf,
};
use eventwright::store::{Cursor, EventStore, StoreError};
use serde_json::{Value, json};

use super::log::settled_log;

fn event(aggregate: &str, id: &str, sequence: u64, event_type: &str, payload: Value) -> NewEvent {
    NewEvent {
        event_id: uuid::Uuid::now_v7(),
        aggregate_type: aggregate.to_owned(),
        aggregate_id: id.to_owned(),
        sequence,
        event_type: event_type.to_owned(),
        event_version: 1,
        timestamp: Utc::now(),
        metadata: Metadata::default(),
        payload,
        tags: Vec::new(),
    }
}

fn rules() -> PersonalData {
    PersonalData::new()
        .field("MemberJoined", "name", "Member", SubjectOf::Aggregate)
        .field("MemberJoined", "email", "Member", SubjectOf::Aggregate)
        .field(
            "BookLent",
            "borrower",
            "Member",
            SubjectOf::Field("member_id"),
        )
}

fn payloads(events: &[EventEnvelope]) -> Vec<Value> {
    events.iter().map(|event| event.payload.clone()).collect()
}

pub async fn forgotten_subjects_read_as_null(raw: Arc<dyn EventStore>, keys: Arc<dyn SubjectKeys>) {
    let shredder = Shredder::new(rules(), keys);
    let sealed = SealedEventStore::new(Arc::clone(&raw), shredder.clone());
    let ann = json!({ "name": "Ann Lee", "email": "ann@example.org", "card": 7 });
    let stored = sealed
        .append(vec![event("Member", "ann", 1, "MemberJoined", ann.clone())])
        .await
        .unwrap();
    assert_eq!(stored[0].payload, ann, "the caller gets back what it sent");
    let bob = json!({ "name": "Bob", "email": null, "card": 8 });
    sealed
        .append(vec![event("Member", "bob", 1, "MemberJoined", bob.clone())])
        .await
        .unwrap();
    let lent = json!({ "member_id": "ann", "borrower": "Ann Lee" });
    sealed
        .append(vec![event("Book", "b1", 1, "BookLent", lent.clone())])
        .await
        .unwrap();

    // What the database holds says nothing about Ann, nor Bob's name.
    let kept = settled_log(raw.as_ref(), 10).await;
    let text = serde_json::to_string(&kept.iter().map(|e| &e.envelope.payload).collect::<Vec<_>>())
        .unwrap();
    for secret in ["Ann Lee", "ann@example.org", "Bob"] {
        assert!(
            !text.contains(secret),
            "{secret} is stored in clear: {text}"
        );
    }
    assert!(
        text.contains("\"card\":7"),
        "other fields stay in clear: {text}"
    );
    assert!(
        text.contains("\"email\":null"),
        "an absent value stays absent: {text}"
    );

    // Read through the sealed store, every reader sees the fields.
    let read = settled_log(&sealed, 10).await;
    let read: Vec<Value> = read.into_iter().map(|e| e.envelope.payload).collect();
    assert_eq!(read, [ann.clone(), bob.clone(), lent.clone()]);
    assert_eq!(
        payloads(&sealed.load("Member", "ann", 0).await.unwrap()),
        std::slice::from_ref(&ann)
    );

    // A feed over the sealed log (as a broker carries it) delivers the fields opened.
    let feed = SealedFeed::new(Arc::new(InProcBus::new(Arc::clone(&raw))), shredder.clone());
    let mut subscription = feed.subscribe("members", Cursor::START).await.unwrap();
    let mut delivered: Vec<Value> = Vec::new();
    while delivered.len() < 3 {
        let batch = subscription.next_batch().await.unwrap();
        delivered.extend(batch.into_iter().map(|d| d.event.unwrap().payload));
    }
    assert_eq!(delivered, [ann, bob.clone(), lent]);

    // A sealed value opens only where it was sealed.
    let mut moved = kept[0].envelope.clone();
    moved.event_id = kept[1].envelope.event_id;
    let error = shredder.open(&mut moved).await.unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error}");

    // Forgetting Ann erases her fields wherever they are, and nothing of Bob's.
    let ann_subject = Subject::new("Member", "ann");
    assert!(shredder.forget(&ann_subject).await.unwrap());
    assert!(
        !shredder.forget(&ann_subject).await.unwrap(),
        "forgotten already"
    );
    let read = settled_log(&sealed, 10).await;
    let read: Vec<Value> = read.into_iter().map(|e| e.envelope.payload).collect();
    assert_eq!(
        read,
        [
            json!({ "name": null, "email": null, "card": 7 }),
            bob,
            json!({ "member_id": "ann", "borrower": null }),
        ]
    );
    assert_eq!(
        payloads(&sealed.load("Book", "b1", 0).await.unwrap()),
        [json!({ "member_id": "ann", "borrower": null })]
    );

    // Ann joining again is new data under a new key: readable, while the old stays erased.
    let again = json!({ "name": "Ann Lee", "email": "ann@new.example", "card": 9 });
    sealed
        .append(vec![event(
            "Member",
            "ann",
            2,
            "MemberJoined",
            again.clone(),
        )])
        .await
        .unwrap();
    assert_eq!(
        payloads(&sealed.load("Member", "ann", 0).await.unwrap()),
        [json!({ "name": null, "email": null, "card": 7 }), again]
    );
}

/// With a wrapping key, subjects' keys are kept wrapped (`secrets` reads the key table as
/// stored): everything reads as it does unwrapped, and without that wrapping key, or with
/// another, a key does not open; never a wrong field, always a clear error.
pub async fn keys_kept_wrapped_open_only_with_their_wrap<F, S>(
    raw: Arc<dyn EventStore>,
    keys: impl Fn(Option<KeyWrap>) -> Arc<dyn SubjectKeys>,
    secrets: F,
) where
    F: Fn() -> S,
    S: std::future::Future<Output = Vec<String>>,
{
    let wrap: KeyWrap = "B+t0a1Vy4uMq4C5YqJ6q3s4Xw9yZcV8pXoB3k2mQ1aE="
        .parse()
        .unwrap();
    let sealed = SealedEventStore::new(
        Arc::clone(&raw),
        Shredder::new(rules(), keys(Some(wrap.clone()))),
    );
    let ann = json!({ "name": "Ann Lee", "email": null, "card": 7 });
    sealed
        .append(vec![event("Member", "ann", 1, "MemberJoined", ann.clone())])
        .await
        .unwrap();
    assert_eq!(
        sealed.load("Member", "ann", 0).await.unwrap()[0].payload,
        ann
    );
    let stored = secrets().await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with("wrapped:"), "{stored:?}");

    // A key kept before the wrap was given is wrapped as it is read.
    let plain = SealedEventStore::new(Arc::clone(&raw), Shredder::new(rules(), keys(None)));
    let bob = json!({ "name": "Bob", "email": null, "card": 8 });
    plain
        .append(vec![event("Member", "bob", 1, "MemberJoined", bob.clone())])
        .await
        .unwrap();
    let unwrapped = |secrets: Vec<String>| {
        secrets
            .iter()
            .filter(|secret| !secret.starts_with("wrapped:"))
            .count()
    };
    assert_eq!(unwrapped(secrets().await), 1);
    assert_eq!(
        sealed.load("Member", "bob", 0).await.unwrap()[0].payload,
        bob
    );
    assert_eq!(unwrapped(secrets().await), 0);

    let other: KeyWrap = "c2Vjb25kIHdyYXBwaW5nIGtleSwgMzIgYnl0ZXMhISE="
        .parse()
        .unwrap();
    for (wrap, says) in [(None, "is wrapped"), (Some(other), "does not unwrap")] {
        let unopened = SealedEventStore::new(Arc::clone(&raw), Shredder::new(rules(), keys(wrap)));
        match unopened.load("Member", "ann", 0).await {
            Err(StoreError::Unavailable(message)) => assert!(message.contains(says), "{message}"),
            other => panic!("{other:?}"),
        }
    }
}
