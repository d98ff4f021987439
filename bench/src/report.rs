//! The results as a Markdown section of BENCHMARKS.md: the machine, PostgreSQL's durability
//! settings, the command, and per store a table of medians with their spread and the ratios.

use std::path::Path;

use sqlx::Row as _;

use crate::measure::Cell;
use crate::workload::Workload;

const START: &str = "<!-- command-path:start -->";
const END: &str = "<!-- command-path:end -->";

/// The server's version and the settings that decide what a commit costs.
pub async fn postgres_settings(url: &str) -> anyhow::Result<String> {
    let pool = sqlx::PgPool::connect(url).await?;
    let mut shown = Vec::new();
    for setting in [
        "server_version",
        "fsync",
        "synchronous_commit",
        "full_page_writes",
        "shared_buffers",
    ] {
        let row = sqlx::query(&format!("SHOW {setting}"))
            .fetch_one(&pool)
            .await?;
        shown.push(format!("{setting} = {}", row.try_get::<String, _>(0)?));
    }
    pool.close().await;
    Ok(shown.join(", "))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("MemTotal"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown memory".to_owned(),
            |kib| format!("{} GiB", kib / (1 << 20)),
        );
    format!("{cores} cores ({cpu}), {memory}")
}

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
        // Each of ours against each peer.
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
        for mine in &ours {
            for peer in &peers {
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

/// Puts `section` in place of the file's command-path section, or at its end.
pub fn replace_section(path: &Path, section: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let updated = match (text.find(START), text.find(END)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{section}{}", &text[..start], &text[end + END.len()..])
        }
        _ => format!("{}\n{section}\n", text.trim_end()),
    };
    std::fs::write(path, updated)?;
    Ok(())
}
