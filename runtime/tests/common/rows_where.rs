//! An event that changes every row holding a value (`Rows::Where`), run by each adapter's test
//! binary against its own read store, through the projection engine's projector: each such row
//! changed once, none created, a redelivery changing nothing, and a batch applying it in its
//! place among the others.

use std::sync::Arc;

use eventwright::engine::projector;
use eventwright::projection::Rows;
use eventwright::store::generation::AtGeneration;
use eventwright::store::{Mark, ReadStore};
use eventwright::{Change, Event, EventEnvelope, Metadata, Project, Projection};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Placed {
    pub aisle: String,
}

/// Every shelf of an aisle gets a new label.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Relabelled {
    pub aisle: String,
    pub label: String,
}

#[derive(Debug, Clone, Event)]
pub enum ShelfEvent {
    Placed(Placed),
    Relabelled(Relabelled),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = ShelfEvent, key = id, name = "shelf_labels")]
pub struct ShelfLabel {
    pub id: String,
    #[projection(index)]
    pub aisle: String,
    pub label: String,
    pub relabelled: i64,
}

impl Project<Placed> for ShelfLabel {
    fn project(_: Option<Self>, event: &Placed, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(ShelfLabel {
            id: envelope.aggregate_id.clone(),
            aisle: event.aisle.clone(),
            label: String::new(),
            relabelled: 0,
        })
    }
}

impl Project<Relabelled> for ShelfLabel {
    fn rows(event: &Relabelled, _: &EventEnvelope) -> Rows {
        Rows::Where {
            column: "aisle",
            value: json!(event.aisle),
        }
    }

    fn project(row: Option<Self>, event: &Relabelled, _: &EventEnvelope) -> Change<Self> {
        match row {
            Some(mut row) => {
                row.label = event.label.clone();
                row.relabelled += 1;
                Change::Upsert(row)
            }
            None => Change::Keep,
        }
    }
}

fn envelope(aggregate_id: &str, sequence: u64, event: ShelfEvent) -> EventEnvelope {
    EventEnvelope {
        event_id: uuid::Uuid::now_v7(),
        aggregate_type: "Shelf".to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        sequence,
        position: 0,
        event_type: event.event_type().to_owned(),
        event_version: event.event_version(),
        timestamp: chrono::Utc::now(),
        metadata: Metadata::default(),
        payload: event.encode().unwrap(),
    }
}

fn placed(id: &str, aisle: &str) -> EventEnvelope {
    let event = ShelfEvent::Placed(Placed {
        aisle: aisle.to_owned(),
    });
    envelope(id, 1, event)
}

fn relabelled(by: &str, sequence: u64, aisle: &str, label: &str) -> EventEnvelope {
    let event = ShelfEvent::Relabelled(Relabelled {
        aisle: aisle.to_owned(),
        label: label.to_owned(),
    });
    envelope(by, sequence, event)
}

async fn row(read: &dyn ReadStore, id: &str) -> Value {
    let row = read.get(&ShelfLabel::SCHEMA, &json!(id)).await.unwrap();
    Value::Object(row.expect("the shelf"))
}

pub async fn change_every_row_holding_a_value_once(read: Arc<dyn ReadStore>) {
    read.prepare(&ShelfLabel::SCHEMA).await.unwrap();
    let labels = projector::<ShelfLabel>();
    let apply = |envelope: &EventEnvelope| {
        let (labels, read) = (Arc::clone(&labels), Arc::clone(&read));
        let envelope = envelope.clone();
        async move {
            labels
                .handle(
                    &AtGeneration::new(read.clone(), 0),
                    &envelope,
                    Mark::delivered(&envelope),
                )
                .await
                .unwrap()
        }
    };
    for shelf in [placed("s1", "a"), placed("s2", "a"), placed("s3", "b")] {
        assert!(apply(&shelf).await);
    }
    let fresh_paint = relabelled("painter", 1, "a", "fresh");
    assert!(apply(&fresh_paint).await);
    for (id, label, times) in [("s1", "fresh", 1), ("s2", "fresh", 1), ("s3", "", 0)] {
        let found = row(read.as_ref(), id).await;
        assert_eq!(
            (&found["label"], &found["relabelled"]),
            (&json!(label), &json!(times)),
            "{id}"
        );
    }
    assert!(!apply(&fresh_paint).await, "a redelivery changes nothing");
    assert_eq!(row(read.as_ref(), "s1").await["relabelled"], 1);

    // In a batch, in its place: the shelf placed before it is relabelled, the one after not.
    let batch = [
        placed("s4", "a"),
        relabelled("painter", 2, "a", "glossy"),
        placed("s5", "a"),
    ];
    let marked: Vec<(&EventEnvelope, Mark<'_>)> =
        batch.iter().map(|e| (e, Mark::delivered(e))).collect();
    labels
        .handle_many(&AtGeneration::new(read.clone(), 0), &marked)
        .await
        .unwrap();
    for (id, label) in [("s1", "glossy"), ("s4", "glossy"), ("s5", ""), ("s3", "")] {
        assert_eq!(row(read.as_ref(), id).await["label"], json!(label), "{id}");
    }
    // The batch delivered again changes nothing: the lookup's event is marked as the others.
    labels
        .handle_many(&AtGeneration::new(read.clone(), 0), &marked)
        .await
        .unwrap();
    assert_eq!(row(read.as_ref(), "s1").await["relabelled"], 2);
    assert_eq!(row(read.as_ref(), "s5").await["label"], json!(""));
    // No row is created for a value no row holds.
    assert!(apply(&relabelled("painter", 3, "z", "none")).await);
    assert_eq!(
        read.get(&ShelfLabel::SCHEMA, &json!("z")).await.unwrap(),
        None
    );
}

/// Read from the log and applied in batches, as a projection catching up applies them: a
/// lookup finds the rows placed earlier in its own batch, not yet written, and the stored rows;
/// not the ones placed after it. A batch applied again changes nothing.
pub async fn change_every_row_holding_a_value_in_log_batches(read: Arc<dyn ReadStore>) {
    read.prepare(&ShelfLabel::SCHEMA).await.unwrap();
    let labels = projector::<ShelfLabel>();
    let store = AtGeneration::new(read.clone(), 0);
    let batches = [
        vec![
            placed("s1", "a"),
            placed("s2", "a"),
            placed("s3", "b"),
            relabelled("painter", 1, "a", "fresh"),
            placed("s4", "a"),
        ],
        vec![
            relabelled("painter", 2, "a", "glossy"),
            placed("s5", "a"),
            relabelled("painter", 3, "b", "dark"),
        ],
    ];
    let mut position = 0;
    for batch in &batches {
        let marked: Vec<(&EventEnvelope, Mark<'_>)> = batch
            .iter()
            .map(|envelope| {
                position += 1;
                let cursor = eventwright::store::Cursor {
                    transaction: 1,
                    position,
                };
                (envelope, Mark::in_log(envelope, cursor))
            })
            .collect();
        labels.handle_many(&store, &marked).await.unwrap();
        labels.handle_many(&store, &marked).await.unwrap();
    }
    for (id, label, times) in [
        ("s1", "glossy", 2),
        ("s2", "glossy", 2),
        ("s3", "dark", 1),
        ("s4", "glossy", 1),
        ("s5", "", 0),
    ] {
        let found = row(read.as_ref(), id).await;
        assert_eq!(
            (&found["label"], &found["relabelled"]),
            (&json!(label), &json!(times)),
            "{id}"
        );
    }
}

/// The testing kit gives such an event each row holding the value, as the stores do.
#[cfg(feature = "testing")]
pub fn the_kit_changes_every_row_holding_a_value() {
    use eventwright::testing::given_projection;

    let placed = |aisle: &str| {
        ShelfEvent::Placed(Placed {
            aisle: aisle.to_owned(),
        })
    };
    let shelf = |id: &str, aisle: &str, label: &str, relabelled: i64| ShelfLabel {
        id: id.to_owned(),
        aisle: aisle.to_owned(),
        label: label.to_owned(),
        relabelled,
    };
    given_projection::<ShelfLabel>()
        .event("s1", placed("a"))
        .event("s2", placed("a"))
        .event("s3", placed("b"))
        .event(
            "painter",
            ShelfEvent::Relabelled(Relabelled {
                aisle: "a".to_owned(),
                label: "fresh".to_owned(),
            }),
        )
        .then_expect_row("s1", shelf("s1", "a", "fresh", 1))
        .then_expect_row("s2", shelf("s2", "a", "fresh", 1))
        .then_expect_row("s3", shelf("s3", "b", "", 0));
}
