//! The results as the read-side section of BENCHMARKS.md: the machine, the command, query
//! latencies per store, and projection throughput from the log.

use std::path::Path;

use eventwright_bench::environment::{machine, replace_between};

use crate::queries::Latency;
use crate::throughput::CatchUp;

const START: &str = "<!-- read-side:start -->";
const END: &str = "<!-- read-side:end -->";

/// What was measured on one store.
pub struct Measured {
    pub store: &'static str,
    /// Rows per second while filling it.
    pub filled: f64,
    pub latencies: Vec<Latency>,
    pub catch_ups: Vec<CatchUp>,
}

pub fn markdown(setup: &str, results: &[Measured], command: &str) -> String {
    let mut text = format!(
        "{START}\n## Read side: queries over 1M rows, and projections with lookups\n\n\
         Machine: {}, the services on the same machine. {setup}.\n\n\
         Command (the services must be up: `eval \"$(scripts/services.sh up)\"`):\n\n\
         ```sh\n{command}\n```\n\n",
        machine()
    );
    text.push_str("| store | query | p50 | p99 | rows a page |\n|---|---|---|---|---|\n");
    for result in results {
        for latency in &result.latencies {
            text.push_str(&format!(
                "| {} | {} | {:.2} ms | {:.2} ms | {:.1} |\n",
                result.store,
                latency.query,
                latency.p50.as_secs_f64() * 1e3,
                latency.p99.as_secs_f64() * 1e3,
                latency.rows
            ));
        }
    }
    text.push_str("\n| store | filled at (rows/s) |\n|---|---|\n");
    for result in results {
        text.push_str(&format!("| {} | {:.0} |\n", result.store, result.filled));
    }
    text.push_str(
        "\n| store | projection catching up with the log | events/s | events | rows written |\n\
         |---|---|---|---|---|\n",
    );
    for result in results {
        for catch_up in &result.catch_ups {
            text.push_str(&format!(
                "| {} | {} | {:.0} | {} | {} |\n",
                result.store,
                catch_up.projection,
                catch_up.events_per_second,
                catch_up.events,
                catch_up.rows
            ));
        }
    }
    text.push_str(
        "\nThe queries are asked through `ReadModels`, as the generated handlers ask them (HTTP \
         adds its own cost on top). Each list reads one page: `list 20 by member` the first 20 \
         of a member's loans in key order; the range, the member's loans due in a 60-day window \
         by due date (PostgreSQL and SQLite read one index on (member, due date, key), \
         Cassandra one partition of a table clustered by them); list-all pages follow each \
         other's cursor from the first. The stores were filled through `ReadStore::update_many` \
         (in log order, a transaction per 500 rows) on the SQL stores, and through \
         `ReadStore::update` by 32 writers as a partitioned broker delivers on Cassandra, whose \
         every write is a compare-and-set.\n\n\
         Catch-up replays the log through the projection engine, as a new or rebuilt projection \
         does: the first projection applies each loan to its row; the second also applies each \
         rename to every loan row of the member (`Rows::Where`, a lookup by the member column), \
         in the same batch transaction. Cassandra's projections catch up with a log kept on \
         SQLite, the embedded write store.\n",
    );
    for result in results {
        if let [alone, both] = result.catch_ups.as_slice() {
            text.push_str(&format!(
                "\n- {}: the projection with lookups handles {:.0}% of the events per second of the \
                 one-aggregate projection, writing {:.2} rows per event.",
                result.store,
                100.0 * both.events_per_second / alone.events_per_second,
                both.rows as f64 / both.events as f64
            ));
        }
    }
    text.push_str(&format!("\n\n{END}"));
    text
}

pub fn write(path: &Path, section: &str) -> anyhow::Result<()> {
    replace_between(path, START, END, section)
}
