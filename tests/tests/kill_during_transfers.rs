//! A process making transfers among 10 accounts (32 tasks, decisions over two accounts) is
//! killed with SIGKILL mid-run, started again, and killed again. Afterwards, folding the stored
//! events here, independently of the library: the money is all there, no balance was ever
//! below zero, every account's stream runs 1, 2, 3, ... without a gap, and the second process
//! carried on from where the first was killed. On SQLite and on PostgreSQL.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::scratch_postgres;

/// Runs the worker on `url` for `run`, then kills it with SIGKILL.
fn run_then_kill(url: &str, run: Duration) {
    let mut worker = Command::new(env!("CARGO_BIN_EXE_transfer-worker"))
        .args([url, "32"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the worker starts");
    let stdout = worker.stdout.take().expect("piped stdout");
    let first = BufReader::new(stdout).lines().next();
    assert!(
        matches!(&first, Some(Ok(line)) if line == "ready"),
        "the worker did not get ready: {first:?}"
    );
    std::thread::sleep(run);
    // `Child::kill` is SIGKILL on Unix: no destructor, no flush, no goodbye.
    worker.kill().expect("the worker is killed");
    let status = worker.wait().expect("the worker is reaped");
    assert!(!status.success(), "the worker ended on its own: {status}");
}

/// Each account's events as `(sequence, signed amount)`, in sequence order.
type Streams = BTreeMap<String, Vec<(i64, i64)>>;

fn amount(event_type: &str, payload: &str) -> i64 {
    let payload: serde_json::Value = serde_json::from_str(payload).expect("a JSON payload");
    let amount = payload["amount"].as_i64().expect("an amount");
    if event_type == "Debited" {
        -amount
    } else {
        amount
    }
}

async fn postgres_streams(url: &str) -> Streams {
    let pool = sqlx::PgPool::connect(url)
        .await
        .expect("PostgreSQL answers");
    let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT aggregate_id, sequence, event_type, payload::text FROM eventwright_events \
         WHERE aggregate_type = 'Account' ORDER BY aggregate_id, sequence",
    )
    .fetch_all(&pool)
    .await
    .expect("the events read back");
    collect(rows)
}

async fn sqlite_streams(url: &str) -> Streams {
    let pool = sqlx::SqlitePool::connect(url).await.expect("SQLite opens");
    let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT aggregate_id, sequence, event_type, payload FROM eventwright_events \
         WHERE aggregate_type = 'Account' ORDER BY aggregate_id, sequence",
    )
    .fetch_all(&pool)
    .await
    .expect("the events read back");
    collect(rows)
}

fn collect(rows: Vec<(String, i64, String, String)>) -> Streams {
    let mut streams = Streams::new();
    for (id, sequence, event_type, payload) in rows {
        streams
            .entry(id)
            .or_default()
            .push((sequence, amount(&event_type, &payload)));
    }
    streams
}

/// Asserts what must hold of the log; returns how many events it holds.
fn check(streams: &Streams) -> usize {
    assert_eq!(streams.len(), 10, "every account opened once");
    let mut total = 0;
    for (id, events) in streams {
        let sequences: Vec<i64> = events.iter().map(|(sequence, _)| *sequence).collect();
        let gapless: Vec<i64> = (1..=events.len() as i64).collect();
        assert_eq!(sequences, gapless, "{id}'s stream has gaps or doubles");
        let mut balance = 0;
        for (sequence, amount) in events {
            balance += amount;
            assert!(balance >= 0, "{id} went down to {balance} at {sequence}");
        }
        total += balance;
    }
    assert_eq!(total, 1_000, "money was created or lost");
    streams.values().map(Vec::len).sum()
}

fn survives(url: &str, streams: impl Fn(&str) -> Streams) {
    run_then_kill(url, Duration::from_secs(3));
    let after_first = check(&streams(url));
    assert!(
        after_first > 100,
        "only {after_first} events before the first kill"
    );
    run_then_kill(url, Duration::from_secs(3));
    let after_second = check(&streams(url));
    assert!(
        after_second > after_first + 100,
        "the second worker made no progress: {after_first} then {after_second} events"
    );
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(future)
}

#[test]
fn transfers_killed_mid_run_on_sqlite_leave_every_account_whole() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    survives(&url, |url| block_on(sqlite_streams(url)));
}

#[test]
fn transfers_killed_mid_run_on_postgres_leave_every_account_whole() {
    let url = scratch_postgres();
    survives(&url, |url| block_on(postgres_streams(url)));
}
