//! What a benchmark report says about where it ran, and how it is written into BENCHMARKS.md:
//! shared by the benchmark binaries.

use std::path::Path;

use sqlx::Row as _;

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

pub fn machine() -> String {
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

/// Replaces the text between the markers `start` and `end` of `path` (inclusive) with
/// `section`, or appends `section` when the markers are not there.
pub fn replace_between(path: &Path, start: &str, end: &str, section: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let updated = match (text.find(start), text.find(end)) {
        (Some(from), Some(to)) if from < to => {
            format!("{}{section}{}", &text[..from], &text[to + end.len()..])
        }
        _ => format!("{}\n{section}\n", text.trim_end()),
    };
    std::fs::write(path, updated)?;
    Ok(())
}
