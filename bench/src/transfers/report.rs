//! The results as the transfers section of BENCHMARKS.md: the machine, PostgreSQL's durability
//! settings, the command, a table of medians per concurrency, and eventwright's ratios.

use std::path::Path;

use eventwright_bench::environment::{machine, replace_between};

use crate::measure::Cell;

const START: &str = "<!-- transfers:start -->";
const END: &str = "<!-- transfers:end -->";

/// The median, lowest and highest throughput of one contender's repetitions at one
/// concurrency, with the median p50 and p99 and every error.
struct Measured {
    median: f64,
    low: f64,
    high: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

fn measured(cells: &[&Cell]) -> Option<Measured> {
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    if cells.is_empty() {
        return None;
    }
    let throughputs: Vec<f64> = cells.iter().map(|cell| cell.throughput()).collect();
    Some(Measured {
        median: median(throughputs.clone()),
        low: throughputs.iter().copied().fold(f64::INFINITY, f64::min),
        high: throughputs.iter().copied().fold(0.0, f64::max),
        p50_ms: median(cells.iter().map(|c| c.p50.as_secs_f64() * 1e3).collect()),
        p99_ms: median(cells.iter().map(|c| c.p99.as_secs_f64() * 1e3).collect()),
        errors: cells.iter().map(|cell| cell.errors).sum(),
    })
}

pub fn markdown(cells: &[Cell], settings: &str, setup: &str, command: &str) -> String {
    let mut contenders: Vec<&'static str> = Vec::new();
    let mut concurrencies: Vec<usize> = Vec::new();
    for cell in cells {
        if !contenders.contains(&cell.contender) {
            contenders.push(cell.contender);
        }
        if !concurrencies.contains(&cell.concurrency) {
            concurrencies.push(cell.concurrency);
        }
    }
    let of = |contender: &str, concurrency: usize| {
        let matching: Vec<&Cell> = cells
            .iter()
            .filter(|cell| cell.contender == contender && cell.concurrency == concurrency)
            .collect();
        measured(&matching)
    };
    let mut out = format!(
        "{START}\n## Transfers between accounts: eventwright, disintegrate-postgres, hand-written `SELECT … FOR UPDATE`\n\n\
         A decision over two aggregates: move 1 between two accounts drawn at random, appended \
         atomically only if neither changed since it was read; a contender that loses a race \
         decides again until it commits. Each contender works in its own schema of one \
         PostgreSQL.\n\n\
         - machine: {}\n- PostgreSQL: {settings}\n- {setup}\n- command: `{command}`\n\n\
         | concurrency | contender | transfers/s (median, min–max) | p50 ms | p99 ms | errors |\n\
         |---|---|---|---|---|---|\n",
        machine()
    );
    for &concurrency in &concurrencies {
        for contender in &contenders {
            if let Some(m) = of(contender, concurrency) {
                out.push_str(&format!(
                    "| {concurrency} | {contender} | {:.0} ({:.0}–{:.0}) | {:.2} | {:.2} | {} |\n",
                    m.median, m.low, m.high, m.p50_ms, m.p99_ms, m.errors
                ));
            }
        }
    }
    out.push_str("\n| concurrency |");
    let ours = contenders.first().copied().unwrap_or("eventwright");
    for peer in contenders.iter().skip(1) {
        out.push_str(&format!(" {ours} ÷ {peer} |"));
    }
    out.push_str("\n|---|");
    for _ in contenders.iter().skip(1) {
        out.push_str("---|");
    }
    out.push('\n');
    for &concurrency in &concurrencies {
        out.push_str(&format!("| {concurrency} |"));
        for peer in contenders.iter().skip(1) {
            match (of(ours, concurrency), of(peer, concurrency)) {
                (Some(mine), Some(theirs)) => {
                    out.push_str(&format!(" {:.2}× |", mine.median / theirs.median));
                }
                _ => out.push_str(" – |"),
            }
        }
        out.push('\n');
    }
    out.push_str(READING);
    out.push_str(END);
    out
}

/// What each contender does per transfer, to read the table by.
const READING: &str = "
What each contender does per transfer:

- **eventwright**: the dispatcher takes both accounts' turns in the process (decisions and \
commands on one account never race inside a process), decides on the states the mailboxes \
keep, and appends through `append_if`: `BEGIN`, one statement taking an advisory lock per \
account, one reading both versions, one insert, `COMMIT`. Transfers arriving together share \
that transaction (group commit), which is where the C=32 lead comes from; a transfer also \
waits for both accounts' turns behind the others in the process, which is what its higher p99 \
at C=32 is. At C=1 the five round trips are the hand-written transaction's five, plus the \
dispatcher's own work per command (turns, the hand-off to the group commit, encoding).
- **disintegrate-postgres 4**: `SendMoney` from its banking example, with its validation \
query and snapshots every 10 events: each decision queries the events of both accounts' \
streams, then appends in a `SERIALIZABLE` transaction that checks nothing matching the \
query was appended since. It does not retry a decision that lost the race; the caller does, \
at once. disintegrate-postgres 4.0.1 writes one function with a PostgreSQL 16 literal \
(`0xFFFFFFFF`); on this PostgreSQL 15 the benchmark redefines that function with the same \
body and the decimal literal.
- **sqlx `SELECT … FOR UPDATE`**: `BEGIN`, lock both account rows in id order, one `UPDATE` \
of both balances, one insert of both events, `COMMIT`: a current-state table, so nothing is \
folded and nothing retried.
";

/// Replaces the transfers section of `path` with `section`.
pub fn replace_section(path: &Path, section: &str) -> anyhow::Result<()> {
    replace_between(path, START, END, section)
}
