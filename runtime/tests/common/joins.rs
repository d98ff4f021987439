//! A join done at write time (`Project::joins`), run by each adapter's test binary against its
//! own read store, through the projection engine's projector: a loan card copies its book's
//! title from the book projection's row, and waits for that projection to catch up with what
//! the card's projection has seen of the book, on the log and per aggregate, alone and in a
//! batch.

use std::sync::Arc;
use std::time::Duration;

use eventwright::engine::{Projector, projector};
use eventwright::projection::{Join, Joined, Rows};
use eventwright::store::generation::AtGeneration;
use eventwright::store::{Cursor, Mark, ReadStore};
use eventwright::{Aggregate, Apply, Change, Event, EventEnvelope, Metadata, Project, Projection};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalogued {
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Retitled {
    pub title: String,
}

#[derive(Debug, Clone, Event)]
pub enum TitleEvent {
    Catalogued(Catalogued),
    Retitled(Retitled),
}

#[derive(Debug, Default, Aggregate)]
#[aggregate(id = String, event = TitleEvent, name = "Title")]
pub struct Title;

impl Apply<Catalogued> for Title {
    fn apply(&mut self, _: &Catalogued) {}
}

impl Apply<Retitled> for Title {
    fn apply(&mut self, _: &Retitled) {}
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Borrowed {
    pub title_id: String,
}

#[derive(Debug, Clone, Event)]
pub enum CardEvent {
    Borrowed(Borrowed),
}

/// A book's title, by the book's id: the row the cards copy from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = TitleEvent, key = title_id, name = "join_titles")]
pub struct TitleRow {
    pub title_id: String,
    pub title: String,
}

impl Project<Catalogued> for TitleRow {
    fn project(_: Option<Self>, event: &Catalogued, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(TitleRow {
            title_id: envelope.aggregate_id.clone(),
            title: event.title.clone(),
        })
    }
}

impl Project<Retitled> for TitleRow {
    fn project(row: Option<Self>, event: &Retitled, _: &EventEnvelope) -> Change<Self> {
        match row {
            Some(row) => Change::Upsert(TitleRow {
                title: event.title.clone(),
                ..row
            }),
            None => Change::Keep,
        }
    }
}

/// A loan card, showing the title of the book lent: copied from [`TitleRow`] when the loan is
/// made, and again on every card of the book when it is retitled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(
    events(CardEvent, TitleEvent),
    key = card_id,
    name = "join_cards",
    reads(TitleRow),
    ignore(Catalogued)
)]
pub struct CardRow {
    pub card_id: String,
    #[projection(index)]
    pub title_id: String,
    pub title: String,
}

impl CardRow {
    fn copy_title(mut self, joined: &Joined) -> Change<Self> {
        if let Some(found) = joined.row::<TitleRow>(&self.title_id) {
            self.title = found.title.clone();
        }
        Change::Upsert(self)
    }
}

impl Project<Borrowed> for CardRow {
    fn joins(event: &Borrowed, _: &EventEnvelope) -> Vec<Join> {
        vec![Join::row::<TitleRow, Title>(&event.title_id)]
    }

    fn project_joined(
        row: Option<Self>,
        event: &Borrowed,
        envelope: &EventEnvelope,
        joined: &Joined,
    ) -> Change<Self> {
        match Self::project(row, event, envelope) {
            Change::Upsert(row) => row.copy_title(joined),
            other => other,
        }
    }

    fn project(_: Option<Self>, event: &Borrowed, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(CardRow {
            card_id: envelope.aggregate_id.clone(),
            title_id: event.title_id.clone(),
            title: String::new(),
        })
    }
}

impl Project<Retitled> for CardRow {
    fn rows(_: &Retitled, envelope: &EventEnvelope) -> Rows {
        Rows::Where {
            column: "title_id",
            value: json!(envelope.aggregate_id),
        }
    }

    fn joins(_: &Retitled, envelope: &EventEnvelope) -> Vec<Join> {
        vec![Join::row::<TitleRow, Title>(&envelope.aggregate_id)]
    }

    fn project_joined(
        row: Option<Self>,
        _: &Retitled,
        _: &EventEnvelope,
        joined: &Joined,
    ) -> Change<Self> {
        row.map_or(Change::Keep, |row| row.copy_title(joined))
    }

    fn project(_: Option<Self>, _: &Retitled, _: &EventEnvelope) -> Change<Self> {
        Change::Keep
    }
}

fn envelope(
    kind: &str,
    id: &str,
    sequence: u64,
    position: u64,
    event: &impl Event,
) -> EventEnvelope {
    EventEnvelope {
        event_id: uuid::Uuid::now_v7(),
        aggregate_type: kind.to_owned(),
        aggregate_id: id.to_owned(),
        sequence,
        position,
        event_type: event.event_type().to_owned(),
        event_version: event.event_version(),
        timestamp: chrono::Utc::now(),
        metadata: Metadata::default(),
        payload: event.encode().unwrap(),
    }
}

fn catalogued(id: &str, position: u64, title: &str) -> EventEnvelope {
    let event = TitleEvent::Catalogued(Catalogued {
        title: title.to_owned(),
    });
    envelope("Title", id, 1, position, &event)
}

fn retitled(id: &str, sequence: u64, position: u64, title: &str) -> EventEnvelope {
    let event = TitleEvent::Retitled(Retitled {
        title: title.to_owned(),
    });
    envelope("Title", id, sequence, position, &event)
}

fn borrowed(card: &str, position: u64, title_id: &str) -> EventEnvelope {
    let event = CardEvent::Borrowed(Borrowed {
        title_id: title_id.to_owned(),
    });
    envelope("Card", card, 1, position, &event)
}

fn delivered(envelope: &EventEnvelope) -> Mark<'_> {
    Mark::delivered(envelope)
}

fn in_log(envelope: &EventEnvelope) -> Mark<'_> {
    let cursor = Cursor {
        transaction: envelope.position,
        position: envelope.position,
    };
    Mark::in_log(envelope, cursor)
}

async fn title_on(read: &dyn ReadStore, card: &str) -> Value {
    let row = read.get(&CardRow::SCHEMA, &json!(card)).await.unwrap();
    Value::Object(row.expect("the card"))["title"].clone()
}

/// Applies `envelope` to `projector` in a task of its own, so a test can see it wait.
fn apply_soon(
    projector: &Arc<dyn Projector>,
    at: &AtGeneration,
    envelope: EventEnvelope,
    marked: fn(&EventEnvelope) -> Mark<'_>,
) -> tokio::task::JoinHandle<bool> {
    let (projector, at) = (Arc::clone(projector), at.clone());
    tokio::spawn(async move {
        projector
            .handle(&at, &envelope, marked(&envelope))
            .await
            .unwrap()
    })
}

/// Whether `task` is still waiting after a while.
async fn still_waiting<T>(task: &tokio::task::JoinHandle<T>) -> bool {
    tokio::time::sleep(Duration::from_millis(300)).await;
    !task.is_finished()
}

async fn prepared(read: &Arc<dyn ReadStore>) -> AtGeneration {
    read.prepare_bookkeeping().await.unwrap();
    for schema in [&TitleRow::SCHEMA, &CardRow::SCHEMA] {
        read.prepare(schema).await.unwrap();
    }
    AtGeneration::new(Arc::clone(read), 0)
}

/// Per aggregate (a partitioned broker): a card waits for the title projection to have seen as
/// much of its book as the cards' projection has, and copies the title it then holds.
pub async fn a_joined_row_is_read_once_as_fresh_per_aggregate(read: Arc<dyn ReadStore>) {
    let at = prepared(&read).await;
    let (titles, cards) = (projector::<TitleRow>(), projector::<CardRow>());
    // The cards' feed delivers the book's first event before the titles' feed does, then a
    // card of the book: copied now, it would find no title, and nothing would fix it later.
    let dune = catalogued("t1", 0, "Dune");
    assert!(cards.handle(&at, &dune, delivered(&dune)).await.unwrap());
    let card = apply_soon(&cards, &at, borrowed("c1", 0, "t1"), delivered);
    assert!(
        still_waiting(&card).await,
        "the titles have not seen the book the cards have"
    );
    titles.handle(&at, &dune, delivered(&dune)).await.unwrap();
    assert!(card.await.unwrap());
    assert_eq!(title_on(&at, "c1").await, json!("Dune"));

    // A retitling changes every card of the book, once the titles have it too.
    let messiah = retitled("t1", 2, 0, "Dune Messiah");
    let renaming = apply_soon(&cards, &at, messiah.clone(), delivered);
    assert!(still_waiting(&renaming).await, "the titles are behind");
    titles
        .handle(&at, &messiah, delivered(&messiah))
        .await
        .unwrap();
    assert!(renaming.await.unwrap());
    assert_eq!(title_on(&at, "c1").await, json!("Dune Messiah"));

    // A book the titles never heard of, and the cards saw nothing of: nothing to wait for,
    // nothing copied.
    let stray = borrowed("c2", 0, "t9");
    assert!(cards.handle(&at, &stray, delivered(&stray)).await.unwrap());
    assert_eq!(title_on(&at, "c2").await, json!(""));

    // In a batch: the retitling before the card counts, though not yet committed.
    let children = retitled("t1", 3, 0, "Children of Dune");
    let batch = [children.clone(), borrowed("c3", 0, "t1")];
    let (at_batch, cards_batch) = (at.clone(), Arc::clone(&cards));
    let applied = tokio::spawn(async move {
        let marked: Vec<_> = batch.iter().map(|e| (e, delivered(e))).collect();
        cards_batch.handle_many(&at_batch, &marked).await.unwrap();
    });
    assert!(
        still_waiting(&applied).await,
        "the batch waits for the titles"
    );
    titles
        .handle(&at, &children, delivered(&children))
        .await
        .unwrap();
    applied.await.unwrap();
    for card in ["c1", "c3"] {
        assert_eq!(
            title_on(&at, card).await,
            json!("Children of Dune"),
            "{card}"
        );
    }
}

/// On the log: a card waits until the titles' checkpoint passes its own place in the log.
pub async fn a_joined_row_is_read_once_as_fresh_in_the_log(read: Arc<dyn ReadStore>) {
    let at = prepared(&read).await;
    let (titles, cards) = (projector::<TitleRow>(), projector::<CardRow>());
    let log = [
        catalogued("t1", 1, "Emma"),
        retitled("t1", 2, 2, "Emma (annotated)"),
        borrowed("c1", 3, "t1"),
    ];
    for event in &log[..2] {
        titles.handle(&at, event, in_log(event)).await.unwrap();
        cards.handle(&at, event, in_log(event)).await.unwrap();
    }
    let card = apply_soon(&cards, &at, log[2].clone(), in_log);
    assert!(
        still_waiting(&card).await,
        "the titles are short of the card's place in the log"
    );
    // The titles pass the card's event by (not theirs: only their checkpoint moves).
    titles.handle(&at, &log[2], in_log(&log[2])).await.unwrap();
    assert!(card.await.unwrap());
    assert_eq!(title_on(&at, "c1").await, json!("Emma (annotated)"));
}

/// The log a run of the library leaves: `books` catalogued, then cards made and books
/// retitled in a mixed order. Returns each card's book and title by an independent fold: the
/// last title of its book.
pub async fn write_library(
    events: &dyn eventwright::store::EventStore,
    books: usize,
    steps: usize,
) -> std::collections::BTreeMap<String, (String, String)> {
    use std::collections::BTreeMap;
    let mut titles: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut cards: BTreeMap<String, String> = BTreeMap::new();
    for book in 0..books {
        let id = format!("t{book}");
        let title = format!("{id} first edition");
        append(events, catalogued(&id, 0, &title)).await;
        titles.insert(id, (1, title));
    }
    // A small linear congruential generator: the same mix on every run.
    let mut seed: u64 = 0x2545_f491;
    for step in 0..steps {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let book = format!("t{}", (seed >> 33) as usize % books);
        if (seed >> 20).is_multiple_of(3) {
            let (sequence, title) = titles.get_mut(&book).unwrap();
            *sequence += 1;
            *title = format!("{book} edition {sequence}");
            let (sequence, title) = (*sequence, title.clone());
            append(events, retitled(&book, sequence, 0, &title)).await;
        } else {
            let card = format!("c{step}");
            append(events, borrowed(&card, 0, &book)).await;
            cards.insert(card, book);
        }
    }
    cards
        .into_iter()
        .map(|(card, book)| {
            let title = titles[&book].1.clone();
            (card, (book, title))
        })
        .collect()
}

async fn append(events: &dyn eventwright::store::EventStore, envelope: EventEnvelope) {
    let new = eventwright::NewEvent {
        event_id: envelope.event_id,
        aggregate_type: envelope.aggregate_type,
        aggregate_id: envelope.aggregate_id,
        sequence: envelope.sequence,
        event_type: envelope.event_type,
        event_version: envelope.event_version,
        timestamp: envelope.timestamp,
        metadata: envelope.metadata,
        payload: envelope.payload,
        tags: Vec::new(),
    };
    events.append(vec![new]).await.unwrap();
}

/// Every card's title as the read store holds it.
pub async fn titles_on_cards(
    read: &dyn ReadStore,
    cards: impl Iterator<Item = &String>,
) -> std::collections::BTreeMap<String, String> {
    let mut found = std::collections::BTreeMap::new();
    for card in cards {
        if let Some(row) = read.get(&CardRow::SCHEMA, &json!(card)).await.unwrap() {
            found.insert(card.clone(), row["title"].as_str().unwrap_or("").to_owned());
        }
    }
    found
}

/// The testing kit hands a projection the rows it joins from those it is given.
#[cfg(feature = "testing")]
pub fn the_kit_copies_joinable_rows() {
    use eventwright::testing::given_projection;
    let card = |id: &str, title_id: &str, title: &str| CardRow {
        card_id: id.to_owned(),
        title_id: title_id.to_owned(),
        title: title.to_owned(),
    };
    given_projection::<CardRow>()
        .joinable(TitleRow {
            title_id: "t1".to_owned(),
            title: "Emma".to_owned(),
        })
        .event(
            "c1",
            CardEvent::Borrowed(Borrowed {
                title_id: "t1".to_owned(),
            }),
        )
        .event(
            "c2",
            CardEvent::Borrowed(Borrowed {
                title_id: "t2".to_owned(),
            }),
        )
        .then_expect_row("c1", card("c1", "t1", "Emma"))
        .then_expect_row("c2", card("c2", "t2", ""));
}

/// Retitles `book`, after the events it has.
pub async fn retitle(events: &dyn eventwright::store::EventStore, book: &str, title: &str) {
    let sequence = events.load("Title", book, 0).await.unwrap().len() as u64 + 1;
    append(events, retitled(book, sequence, 0, title)).await;
}

/// Makes the card `card` of `book`.
pub async fn borrow(events: &dyn eventwright::store::EventStore, card: &str, book: &str) {
    append(events, borrowed(card, 0, book)).await;
}
