//! The results as a Markdown section of BENCHMARKS.md: the machine, PostgreSQL's durability
//! settings, the command, and per store a table of medians with their spread and the ratios.

use std::path::Path;

use eventwright_bench::environment::{self, machine};

use crate::measure::Cell;
use crate::workload::Workload;

const START: &str = "<!-- command-path:start -->";
const END: &str = "<!-- command-path:end -->";

/// Median and spread of the throughputs of the repetitions of one cell.
struct Measured {
    median: f64,
    low: f64,
    high: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

fn measured(cells: &[&Cell]) -> Option<Measured> {
    if cells.is_empty() {
        return None;
    }
    let mut throughputs: Vec<f64> = cells.iter().map(|cell| cell.throughput()).collect();
    throughputs.sort_by(f64::total_cmp);
    let mut by_throughput = cells.to_vec();
    by_throughput.sort_by(|a, b| a.throughput().total_cmp(&b.throughput()));
    let middle = by_throughput[by_throughput.len() / 2];
    Some(Measured {
        median: throughputs[throughputs.len() / 2],
        low: throughputs[0],
        high: throughputs[throughputs.len() - 1],
        p50_ms: middle.p50.as_secs_f64() * 1e3,
        p99_ms: middle.p99.as_secs_f64() * 1e3,
        errors: cells.iter().map(|cell| cell.errors).sum(),
    })
}

pub fn markdown(cells: &[Cell], settings: &str, parameters: &str, command: &str) -> String {
    let mut out = format!(
        "{START}\n## Command path: eventwright, cqrs-es + postgres-es, and the raw ceiling\n\n\
         Measured in one run on {}; PostgreSQL: {settings}. {parameters}. Commands/s is the \
         median of the repetitions, with the lowest and highest; latencies are those of the \
         median repetition. Errors are commands that failed as their caller saw them.\n\n\
         ```\n{command}\n```\n",
        machine()
    );
    for store in ["postgres", "sqlite"] {
        let mine: Vec<&Cell> = cells.iter().filter(|cell| cell.store == store).collect();
        if mine.is_empty() {
            continue;
        }
        let mut contenders: Vec<&'static str> = Vec::new();
        for cell in &mine {
            if !contenders.contains(&cell.contender) {
                contenders.push(cell.contender);
            }
        }
        out.push_str(&format!("\n### {store}\n\n| workload | tasks |"));
        for contender in &contenders {
            out.push_str(&format!(
                " {contender}: commands/s (low–high), p50/p99 ms |"
            ));
        }
        // Each of ours against each peer reached the same way: in process, or over HTTP.
        let ours: Vec<&str> = contenders
            .iter()
            .copied()
            .filter(|c| c.starts_with("eventwright"))
            .collect();
        let peers: Vec<&str> = contenders
            .iter()
            .copied()
            .filter(|c| !c.starts_with("eventwright"))
            .collect();
        let mut ratios = Vec::new();
        let over_http = |contender: &str| contender.ends_with("over HTTP");
        for mine in &ours {
            for peer in peers
                .iter()
                .filter(|peer| over_http(peer) == over_http(mine))
            {
                out.push_str(&format!(" {mine} / {peer} |"));
                ratios.push((*mine, *peer));
            }
        }
        out.push_str(&format!(
            "\n|---|---|{}\n",
            "---|".repeat(contenders.len() + ratios.len())
        ));
        let mut concurrencies: Vec<usize> = mine.iter().map(|cell| cell.concurrency).collect();
        concurrencies.sort_unstable();
        concurrencies.dedup();
        for workload in Workload::ALL {
            for &concurrency in &concurrencies {
                let of = |contender: &str| {
                    let matching: Vec<&Cell> = mine
                        .iter()
                        .copied()
                        .filter(|cell| {
                            cell.contender == contender
                                && cell.workload == workload
                                && cell.concurrency == concurrency
                        })
                        .collect();
                    measured(&matching)
                };
                out.push_str(&format!("| {} | {concurrency} |", workload.label()));
                for contender in &contenders {
                    match of(contender) {
                        Some(m) => {
                            let errors = if m.errors > 0 {
                                format!(", **{} errors**", m.errors)
                            } else {
                                String::new()
                            };
                            out.push_str(&format!(
                                " {:.0} ({:.0}–{:.0}), {:.2}/{:.2}{errors} |",
                                m.median, m.low, m.high, m.p50_ms, m.p99_ms
                            ));
                        }
                        None => out.push_str(" – |"),
                    }
                }
                for (mine, peer) in &ratios {
                    match (of(mine), of(peer)) {
                        (Some(mine), Some(peer)) => {
                            out.push_str(&format!(" {:.2}× |", mine.median / peer.median));
                        }
                        _ => out.push_str(" – |"),
                    }
                }
                out.push('\n');
            }
        }
    }
    out.push_str(END);
    out
}

/// Replaces the command-path section of `path` with `section`.
pub fn replace_section(path: &Path, section: &str) -> anyhow::Result<()> {
    environment::replace_between(path, START, END, section)
}
