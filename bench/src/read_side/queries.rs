//! Query latency on a read store holding many rows: the store is filled with loans, then each
//! query the generated API serves is asked one at a time through [`ReadModels`], as its handler
//! asks it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventwright::query::Filter;
use eventwright::store::{Decide, Mark, ReadStore, RowChange, Target, Update};
use eventwright::{Page, PageRequest, Projection, ReadModels};
use eventwright_bench::tally::Tally;
use serde_json::{Value, json};

use crate::loans::{Library, Loan, LoanEvent, envelope};

/// How rows reach the store while filling it.
#[derive(Debug, Clone, Copy)]
pub enum Filling {
    /// In log order, a batch per transaction, one writer: the SQL stores' own feed.
    InLog,
    /// As a partitioned broker delivers them, `appliers` writers on rows of their own.
    Delivered { appliers: usize },
}

/// Writes `rows` loans of `library`; returns rows per second.
pub async fn fill(
    read: &Arc<dyn ReadStore>,
    library: &Arc<Library>,
    rows: usize,
    filling: Filling,
) -> anyhow::Result<f64> {
    read.prepare_bookkeeping().await?;
    read.prepare(&Loan::SCHEMA).await?;
    let started = Instant::now();
    match filling {
        Filling::InLog => write_batches(read.as_ref(), library, (0..rows).collect(), true).await?,
        Filling::Delivered { appliers } => {
            let tasks: Vec<_> = (0..appliers)
                .map(|applier| {
                    let (read, library) = (Arc::clone(read), Arc::clone(library));
                    let mine = (applier..rows).step_by(appliers).collect();
                    tokio::spawn(async move {
                        write_batches(read.as_ref(), &library, mine, false).await
                    })
                })
                .collect();
            for task in tasks {
                task.await??;
            }
        }
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}

const BATCH: usize = 500;

async fn write_batches(
    read: &dyn ReadStore,
    library: &Library,
    loans: Vec<usize>,
    in_log: bool,
) -> anyhow::Result<()> {
    for batch in loans.chunks(BATCH) {
        let events: Vec<_> = batch
            .iter()
            .map(|&n| {
                let event = LoanEvent::LoanOpened(library.opened(n));
                let (envelope, cursor) = envelope(library.loan_id(n), n as u64 + 1, &event);
                let LoanEvent::LoanOpened(opened) = event;
                let row = serde_json::to_value(Loan {
                    loan_id: library.loan_id(n),
                    member_id: opened.member_id,
                    member_name: String::new(),
                    title: opened.title,
                    due_on: opened.due_on,
                })
                .expect("a row encodes");
                (envelope, cursor, row)
            })
            .collect();
        let updates = events
            .iter()
            .map(|(envelope, cursor, row)| {
                let Value::Object(row) = row.clone() else {
                    unreachable!("a struct encodes as an object")
                };
                let key = row.get("loan_id").cloned().expect("a loan has its id");
                let decide: Decide<'_> = Box::new(move |_| Ok(RowChange::Upsert(row.clone())));
                Update {
                    mark: if in_log {
                        Mark::in_log(envelope, *cursor)
                    } else {
                        Mark::delivered(envelope)
                    },
                    target: Target::Key(key),
                    decide,
                }
            })
            .collect();
        read.update_many(&Loan::SCHEMA, Loan::NAME, updates).await?;
    }
    Ok(())
}

/// One query's latencies.
pub struct Latency {
    pub query: &'static str,
    pub p50: Duration,
    pub p99: Duration,
    /// Rows the pages held, on average.
    pub rows: f64,
}

/// Asks each query `times` times, one at a time, after as many again unmeasured to warm up.
pub async fn measure(
    read: Arc<dyn ReadStore>,
    library: &Library,
    rows: usize,
    times: usize,
) -> anyhow::Result<Vec<Latency>> {
    let models = ReadModels::new(read);
    let mut measured = Vec::new();
    let by_due = Loan::SCHEMA
        .index(&["member_id"], Some("due_on"))
        .expect("the loans are listed by due date");
    // Spread the asks over the rows: a stride prime to `rows` visits each part of the table.
    let pick = |q: usize| (q * 7_919 + 13) % rows;

    measured.push(
        time("get by key", times, |q| {
            let (models, key) = (&models, library.loan_id(pick(q)));
            async move {
                let found = models.get::<Loan>(&key).await?;
                anyhow::ensure!(found.is_some(), "loan {key} is missing");
                Ok(1)
            }
        })
        .await?,
    );
    measured.push(
        time("list 20 by member", times, |q| {
            let (models, member) = (&models, library.member_id(pick(q)));
            async move {
                let page: Page<Loan> = models
                    .list::<Loan>("member_id", &member, &first_page(20))
                    .await?;
                Ok(page.items.len())
            }
        })
        .await?,
    );
    measured.push(
        time("range: a member's loans due in 60 days", times, |q| {
            let n = pick(q);
            let from = library.due_on(n);
            let filter = Filter {
                equal: vec![json!(library.member_id(n))],
                from: Some(json!(from)),
                before: Some(json!(from + chrono::Days::new(60))),
                descending: false,
            };
            let models = &models;
            async move {
                let page = models
                    .find::<Loan>(by_due, &filter, &first_page(20))
                    .await?;
                Ok(page.items.len())
            }
        })
        .await?,
    );
    // List-all pages are followed from the first, as a client pages through the whole table.
    let cursor = std::sync::Mutex::new(None::<String>);
    measured.push(
        time("list all, next page of 50", times, |_| {
            let (models, cursor) = (&models, &cursor);
            async move {
                let page = PageRequest {
                    limit: Some(50),
                    cursor: cursor.lock().expect("not poisoned").clone(),
                };
                let page = models.list_all::<Loan>(&page).await?;
                *cursor.lock().expect("not poisoned") = page.next_cursor;
                Ok(page.items.len())
            }
        })
        .await?,
    );
    Ok(measured)
}

fn first_page(limit: u32) -> PageRequest {
    PageRequest {
        limit: Some(limit),
        cursor: None,
    }
}

/// Runs `ask(q)` for q in 0..2 × `times`, timing the second half; each returns the rows it got.
async fn time<F, Fut>(query: &'static str, times: usize, mut ask: F) -> anyhow::Result<Latency>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let mut latencies = Vec::with_capacity(times);
    let mut rows = 0;
    for q in 0..2 * times {
        let started = Instant::now();
        let got = ask(q).await?;
        if q >= times {
            latencies.push(started.elapsed());
            rows += got;
        }
    }
    latencies.sort_unstable();
    let tally = Tally {
        latencies,
        errors: 0,
        first_error: None,
    };
    Ok(Latency {
        query,
        p50: tally.percentile(0.5),
        p99: tally.percentile(0.99),
        rows: rows as f64 / times as f64,
    })
}
