//! Batches read from the log in order ([`ReadStore::update_many`] with a cursor on every mark),
//! run by each adapter's test binary against its own read store.

use std::sync::Arc;

use eventwright::Projection;
use eventwright::store::{Cursor, Decide, Mark, ReadStore, Row, RowChange, Target, Update};
use serde_json::{Value, json};

use super::Tally;

/// Where the `n`th event of a test log sits.
fn cursor(n: usize) -> Cursor {
    Cursor {
        transaction: 1,
        position: n as u64 + 1,
    }
}

fn tally(id: &str, events: i64, last: i64) -> RowChange {
    let mut row = Row::new();
    row.insert("id".into(), json!(id));
    row.insert("events".into(), json!(events));
    row.insert("last".into(), json!(last));
    RowChange::Upsert(row)
}

fn number(row: &Row, column: &str) -> i64 {
    row.get(column).and_then(Value::as_i64).unwrap_or_default()
}

/// A log of `events` events over `rows` counters, round robin, and the batch of its events from
/// `from` on: each event counts itself on its counter's row and records its place, refusing a
/// row that already holds a later place, so a store that reordered a row's events would fail.
fn counted<'a>(ids: &'a [String], from: usize) -> Vec<Update<'a>> {
    let rows = ids.len();
    (from..ids.len() * 20)
        .map(|n| {
            let id = &ids[n % rows];
            let decide: Decide<'_> = Box::new(move |row| {
                let (events, last) = row.map_or((0, -1), |row| {
                    (number(&row, "events"), number(&row, "last"))
                });
                if last >= n as i64 {
                    return Err(format!("event {n} decided after event {last}"));
                }
                Ok(tally(id, events + 1, n as i64))
            });
            Update {
                mark: Mark {
                    aggregate_type: "Counter",
                    aggregate_id: id,
                    sequence: (n / rows) as u64 + 1,
                    cursor: Some(cursor(n)),
                },
                target: Target::Key(json!(id)),
                decide,
            }
        })
        .collect()
}

/// A batch whose first part is behind the checkpoint: that part is skipped, the rest applied,
/// each row's events in log order, and the checkpoint moves to the batch's end.
pub async fn apply_a_log_batch_in_order_per_row_past_the_checkpoint(read: Arc<dyn ReadStore>) {
    read.prepare(&Tally::SCHEMA).await.unwrap();
    let ids: Vec<String> = (0..12).map(|n| format!("c{n}")).collect();
    let events = ids.len() * 20;
    let behind = 100;
    let mut first = counted(&ids, 0);
    first.truncate(behind);
    let applied = read
        .update_many(&Tally::SCHEMA, Tally::NAME, first)
        .await
        .unwrap();
    assert_eq!(applied, vec![true; behind]);
    let applied = read
        .update_many(&Tally::SCHEMA, Tally::NAME, counted(&ids, 0))
        .await
        .unwrap();
    let expected: Vec<bool> = (0..events).map(|n| n >= behind).collect();
    assert_eq!(
        applied, expected,
        "the part behind the checkpoint is skipped"
    );
    for (k, id) in ids.iter().enumerate() {
        let row = read.get(&Tally::SCHEMA, &json!(id)).await.unwrap().unwrap();
        assert_eq!(
            (number(&row, "events"), number(&row, "last")),
            (20, (events - ids.len() + k) as i64),
            "{id}"
        );
    }
    assert_eq!(
        read.checkpoint(Tally::NAME).await.unwrap(),
        cursor(events - 1)
    );
}

/// For stores that skip a redelivered event by marks on its row, having no transaction around
/// a batch and its checkpoint: the batch is applied, then delivered again from a checkpoint it
/// never moved (as after a crash just before the move), under another projection name. An
/// event that left a row unchanged must not be decided again on the row a later event of the
/// batch wrote, whether that event was another aggregate's or its own aggregate's next.
pub async fn a_batch_redelivered_before_its_checkpoint_changes_nothing(read: Arc<dyn ReadStore>) {
    read.prepare(&Tally::SCHEMA).await.unwrap();
    // Multiplies a counter's events if the counter has a row, else leaves it be.
    let multiply = |row: Option<Row>| {
        Ok(match row {
            Some(row) => {
                let id = row["id"].as_str().unwrap_or_default().to_owned();
                tally(&id, number(&row, "events") * 10, number(&row, "last"))
            }
            None => RowChange::None,
        })
    };
    let batch = || {
        let update = |(aggregate_id, sequence): (&'static str, u64),
                      n,
                      key: &'static str,
                      decide: Decide<'static>| Update {
            mark: Mark {
                aggregate_type: "Lookup",
                aggregate_id,
                sequence,
                cursor: Some(cursor(n)),
            },
            target: Target::Key(json!(key)),
            decide,
        };
        vec![
            update(("a", 1), 0, "k", Box::new(multiply)),
            update(("k", 1), 1, "k", Box::new(|_| Ok(tally("k", 1, 1)))),
            update(("b", 1), 2, "j", Box::new(multiply)),
            update(("b", 2), 3, "j", Box::new(|_| Ok(tally("j", 1, 1)))),
            update(("c", 1), 4, "never", Box::new(multiply)),
        ]
    };
    let applied = read
        .update_many(&Tally::SCHEMA, Tally::NAME, batch())
        .await
        .unwrap();
    assert_eq!(applied, vec![true; 5]);
    let again = read
        .update_many(&Tally::SCHEMA, "tally_redelivered", batch())
        .await
        .unwrap();
    assert_eq!(
        again,
        vec![false, false, false, false, true],
        "the events the rows' marks show are skipped; the one that found no row finds none again"
    );
    for key in ["k", "j"] {
        let row = read
            .get(&Tally::SCHEMA, &json!(key))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            number(&row, "events"),
            1,
            "{key}: no event was decided again"
        );
    }
    assert_eq!(
        read.get(&Tally::SCHEMA, &json!("never")).await.unwrap(),
        None
    );
}
