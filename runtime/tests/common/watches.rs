//! A live query (`ReadModels::watch`), run by each adapter's test binary against its own stores
//! and feed: the cards of one book watched while cards are made and books retitled, the watch
//! dropped mid-stream and resumed from the last token it gave. What the client ends with is
//! what folding the log says, no token comes twice, and nothing is missed.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eventwright::query::{Changes, Watched};
use eventwright::store::{EventStore, ReadStore};
use eventwright::{Projection, ProjectionEngine, ReadModels};
use serde_json::json;

use super::joins::{CardRow, TitleRow, borrow, retitle, write_library};

/// How many changes the first watch takes before it is dropped.
const BEFORE_DROP: usize = 5;
/// How many cards of the watched book end the log.
const TAIL: usize = 8;

/// The engine running the cards and the titles they copy, from `feed`.
pub fn engine(
    read: &Arc<dyn ReadStore>,
    events: &Arc<dyn EventStore>,
    feed: Arc<dyn eventwright::engine::Feed>,
) -> ProjectionEngine {
    ProjectionEngine::new(Arc::clone(read), Arc::clone(events), feed)
        .with::<CardRow>()
        .with::<TitleRow>()
        .with_retry_delay(Duration::from_millis(20))
}

/// `wake` tells the engine's feed that events were written, as a publish does.
pub async fn a_watch_resumed_from_its_token_misses_and_repeats_nothing(
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
    engine: ProjectionEngine,
    wake: impl Fn() + Send + Sync + 'static,
) {
    engine.prepare().await.unwrap();
    let tasks = engine.spawn();
    let models = ReadModels::new(Arc::clone(&read))
        .with_consistency(Arc::clone(&events), Duration::from_secs(5));
    let index = CardRow::SCHEMA
        .indexes
        .iter()
        .find(|index| index.is_by("title_id"))
        .expect("cards are listed by book");
    let watched = Watched::Found {
        index,
        equal: vec![json!("t1")],
    };

    let mut writer = Some({
        let events = Arc::clone(&events);
        tokio::spawn(async move {
            let mut written = write_library(events.as_ref(), 3, 300).await;
            // A tail whose every event changes what the watch must end with, and no later event
            // changes those rows again: a last retitling of the watched book, then its cards
            // between retitlings of another book.
            // Written once the watch has passed the rest, one event at a time.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            retitle(events.as_ref(), "t1", "t1, last edition").await;
            for (of, last) in written.values_mut() {
                if of == "t1" {
                    *last = "t1, last edition".to_owned();
                }
            }
            for n in 0..TAIL {
                let card = format!("tail-{n}");
                borrow(events.as_ref(), &card, "t1").await;
                written.insert(card, ("t1".to_owned(), "t1, last edition".to_owned()));
                retitle(events.as_ref(), "t2", &format!("t2, tail edition {n}")).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            written
        })
    });
    let waking = tokio::spawn(async move {
        loop {
            wake();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    // Some of the log is written before the watch starts: its first changes are a snapshot.
    tokio::time::sleep(Duration::from_millis(30)).await;

    let mut view: BTreeMap<String, CardRow> = BTreeMap::new();
    let mut tokens = HashSet::new();
    let mut received = 0;
    let mut watch = models
        .watch::<CardRow>(watched.clone(), None)
        .await
        .unwrap();
    let mut written: Option<BTreeMap<String, (String, String)>> = None;
    let deadline = Instant::now() + Duration::from_secs(90);
    let expected = loop {
        if let Some(done) = writer.take_if(|writing| writing.is_finished()) {
            written = Some(done.await.unwrap());
        }
        if let Some(written) = &written {
            let expected = of_book(written, "t1");
            if view == expected {
                break expected;
            }
        }
        assert!(Instant::now() < deadline, "the watch catches up: {view:?}");
        let Ok(changes) = tokio::time::timeout(Duration::from_secs(2), watch.next()).await else {
            continue;
        };
        let changes: Changes<CardRow> = changes.unwrap();
        assert!(
            tokens.insert(changes.token.clone()),
            "token {} sent twice",
            changes.token
        );
        for key in &changes.gone {
            view.remove(key.as_str().expect("a card id"));
        }
        for row in changes.rows {
            assert_eq!(row.title_id, "t1", "only the cards of the book watched");
            view.insert(row.card_id.clone(), row);
        }
        received += 1;
        if received == BEFORE_DROP {
            // Disconnected: the next watch starts after the last changes received.
            watch = models
                .watch::<CardRow>(watched.clone(), Some(&changes.token))
                .await
                .unwrap();
        }
    };
    assert!(
        received > BEFORE_DROP + TAIL / 2,
        "the watch was resumed mid-stream, and followed the tail as it was written"
    );
    assert!(!expected.is_empty());
    waking.abort();
    tasks.iter().for_each(tokio::task::JoinHandle::abort);

    // A token the service never sent is refused, naming it.
    let refused = models
        .watch::<CardRow>(watched, Some("not-a-token"))
        .await
        .unwrap_err();
    assert!(refused.to_string().starts_with("token:"), "{refused}");
}

/// The cards of `book` as a fold of the log leaves them.
fn of_book(written: &BTreeMap<String, (String, String)>, book: &str) -> BTreeMap<String, CardRow> {
    written
        .iter()
        .filter(|(_, (of, _))| of == book)
        .map(|(card, (of, title))| {
            let row = CardRow {
                card_id: card.clone(),
                title_id: of.clone(),
                title: title.clone(),
            };
            (card.clone(), row)
        })
        .collect()
}

/// A shelf in an aisle; clearing an aisle removes every shelf in it (`Rows::Where` + delete).
pub mod aisles {
    use eventwright::projection::Rows;
    use eventwright::{Change, Event, EventEnvelope, Project, Projection};
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Shelved {
        pub aisle: String,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Cleared {
        pub aisle: String,
    }

    #[derive(Debug, Clone, Event)]
    pub enum AisleEvent {
        Shelved(Shelved),
        Cleared(Cleared),
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
    #[projection(event = AisleEvent, key = shelf_id, name = "watch_shelves")]
    pub struct ShelfRow {
        pub shelf_id: String,
        #[projection(index)]
        pub aisle: String,
    }

    impl Project<Shelved> for ShelfRow {
        fn project(_: Option<Self>, event: &Shelved, envelope: &EventEnvelope) -> Change<Self> {
            Change::Upsert(ShelfRow {
                shelf_id: envelope.aggregate_id.clone(),
                aisle: event.aisle.clone(),
            })
        }
    }

    impl Project<Cleared> for ShelfRow {
        fn rows(event: &Cleared, _: &EventEnvelope) -> Rows {
            Rows::Where {
                column: "aisle",
                value: json!(event.aisle),
            }
        }

        fn project(_: Option<Self>, _: &Cleared, _: &EventEnvelope) -> Change<Self> {
            Change::Delete
        }
    }
}

/// Rows an event removes by a `where` (here, every shelf of a cleared aisle) are sent as gone.
pub async fn rows_a_where_event_deletes_are_sent_as_gone(
    events: Arc<dyn EventStore>,
    read: Arc<dyn ReadStore>,
    feed: Arc<dyn eventwright::engine::Feed>,
    wake: impl Fn() + Send + Sync + 'static,
) {
    use aisles::{AisleEvent, Cleared, ShelfRow, Shelved};
    use eventwright::{Event, NewEvent};
    let engine = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), feed)
        .with::<ShelfRow>()
        .with_retry_delay(Duration::from_millis(20));
    engine.prepare().await.unwrap();
    let tasks = engine.spawn();
    let models =
        ReadModels::new(read).with_consistency(Arc::clone(&events), Duration::from_secs(5));
    let index = ShelfRow::SCHEMA
        .indexes
        .iter()
        .find(|i| i.is_by("aisle"))
        .unwrap();
    let watched = Watched::Found {
        index,
        equal: vec![json!("a")],
    };
    let mut watch = models.watch::<ShelfRow>(watched, None).await.unwrap();
    assert!(
        watch.next().await.unwrap().rows.is_empty(),
        "an empty snapshot"
    );
    let write = |id: &str, sequence: u64, event: AisleEvent| {
        let events = Arc::clone(&events);
        let new = NewEvent {
            event_id: uuid::Uuid::now_v7(),
            aggregate_type: "Aisle".to_owned(),
            aggregate_id: id.to_owned(),
            sequence,
            event_type: event.event_type().to_owned(),
            event_version: event.event_version(),
            timestamp: chrono::Utc::now(),
            metadata: eventwright::Metadata::default(),
            payload: event.encode().unwrap(),
            tags: Vec::new(),
        };
        async move { events.append(vec![new]).await.unwrap() }
    };
    let shelved = |aisle: &str| {
        AisleEvent::Shelved(Shelved {
            aisle: aisle.to_owned(),
        })
    };
    write("s1", 1, shelved("a")).await;
    write("s2", 1, shelved("a")).await;
    write("s3", 1, shelved("b")).await;
    let mut held: BTreeMap<String, ShelfRow> = BTreeMap::new();
    // Until the watch holds both shelves of the aisle; then the aisle is cleared.
    let mut cleared = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            Instant::now() < deadline,
            "the watch follows the aisle: {held:?}"
        );
        if !cleared && held.len() == 2 {
            let clearing = AisleEvent::Cleared(Cleared {
                aisle: "a".to_owned(),
            });
            write("cleaner", 1, clearing).await;
            cleared = true;
        }
        wake();
        let Ok(changes) = tokio::time::timeout(Duration::from_secs(1), watch.next()).await else {
            continue;
        };
        let changes = changes.unwrap();
        for row in changes.rows {
            assert_eq!(row.aisle, "a", "only the aisle watched");
            held.insert(row.shelf_id.clone(), row);
        }
        for key in &changes.gone {
            held.remove(key.as_str().unwrap());
        }
        if cleared && held.is_empty() {
            break;
        }
    }
    assert!(
        held.is_empty(),
        "every shelf of the aisle is gone: {held:?}"
    );
    tasks.iter().for_each(tokio::task::JoinHandle::abort);
}
