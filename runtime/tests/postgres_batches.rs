//! Batches of Kafka-fed updates on PostgreSQL. In a test binary of its own: the batches hold
//! their transactions open on purpose, and other tests that read the log right after a commit
//! would have to wait for them.
#![cfg(feature = "postgres")]

use std::sync::Arc;
use std::time::Duration;

use eventwright::EventEnvelope;
use eventwright::Projection;
use eventwright::store::postgres::{self, PostgresReadStore, Retry};
use eventwright::store::{Decide, Mark, ReadStore, Row, RowChange, Target, Update};
use serde_json::json;

mod common;

use common::{Tally, new_event, service_env};
/// Two Kafka-fed batches that touch the same two rows in opposite orders: the rows' locks are
/// taken up front in one order, so neither batch deadlocks the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batches_sharing_rows_in_opposite_orders_do_not_deadlock() {
    let url = service_env("EVENTWRIGHT_POSTGRES_URL");
    let scoped = postgres::scratch_schema(&url)
        .await
        .expect("the test server is up");
    let pool = postgres::connect(&scoped, 4, Retry::default())
        .await
        .unwrap();
    let read: Arc<dyn ReadStore> = Arc::new(PostgresReadStore::new(pool));
    read.prepare(&Tally::SCHEMA).await.unwrap();
    let batch = |aggregate: &'static str, rows: [&'static str; 2]| {
        let read = Arc::clone(&read);
        tokio::spawn(async move {
            let events: Vec<EventEnvelope> = (1..=2)
                .map(|sequence| EventEnvelope::from_new(new_event(aggregate, sequence), 0))
                .collect();
            let updates: Vec<Update<'_>> = events
                .iter()
                .zip(rows)
                .map(|(envelope, row)| {
                    let decide: Decide<'_> = Box::new(move |_| {
                        // Holds the first row long enough for the other batch to take its own.
                        std::thread::sleep(Duration::from_millis(300));
                        let mut written = Row::new();
                        written.insert("id".into(), json!(row));
                        written.insert("events".into(), json!(1));
                        written.insert("last".into(), json!(0));
                        Ok(RowChange::Upsert(written))
                    });
                    Update {
                        mark: Mark::delivered(envelope),
                        target: Target::Key(json!(row)),
                        decide,
                    }
                })
                .collect();
            read.update_many(&Tally::SCHEMA, Tally::NAME, updates).await
        })
    };
    let first = batch("a", ["x", "y"]);
    let second = batch("b", ["y", "x"]);
    assert_eq!(first.await.unwrap().unwrap(), [true, true]);
    assert_eq!(second.await.unwrap().unwrap(), [true, true]);
}
