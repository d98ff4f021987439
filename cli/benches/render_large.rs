//! How long the CLI takes to turn a 100-aggregate model into a project's files: load and
//! validate the YAML, then render every file. Writing to disk is left out (the disk's speed,
//! not ours). Run with `cargo bench -p eventwright-cli --bench render_large`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use eventwright_cli::model;
use eventwright_cli::render::{Options, RuntimeSource, render};

const AGGREGATES: usize = 100;
const RUNS: usize = 15;

/// A model with `AGGREGATES` aggregates, each with three commands, three events, a read model
/// and two queries: the shape of Ordering's `Order`, a hundred times.
fn large_model() -> String {
    let mut yaml = String::from(
        "version: 1\nservice: large\nstores:\n  write: postgres\n  read: postgres\nbroker: kafka\n\
         enums:\n  Status: [Open, Closed]\naggregates:\n",
    );
    for n in 0..AGGREGATES {
        write!(
            yaml,
            "  Thing{n}:\n    id: thing{n}_id\n    id_type: uuid\n    state:\n      owner: uuid\n      \
             status: Status\n      count: int\n    commands:\n      Open{n}:\n        creates: true\n        \
             fields:\n          owner: uuid\n        emits: [Opened{n}]\n      Count{n}:\n        fields:\n          \
             count: {{ type: int, min: 0, max: 1000 }}\n        guards:\n          - {{ field: status, equals: Open, \
             message: \"only an open thing counts\" }}\n        emits: [Counted{n}]\n      Close{n}:\n        \
             emits: [Closed{n}]\n    events:\n      Opened{n}:\n        fields:\n          owner: uuid\n        \
             apply:\n          set: {{ owner: owner }}\n          set_const: {{ status: Open }}\n      Counted{n}:\n        \
             fields:\n          count: int\n        apply:\n          set: {{ count: count }}\n      Closed{n}:\n        \
             apply:\n          set_const: {{ status: Closed }}\n"
        )
        .unwrap();
    }
    yaml.push_str("projections:\n");
    for n in 0..AGGREGATES {
        write!(
            yaml,
            "  Thing{n}View:\n    key: thing{n}_id\n    fields:\n      thing{n}_id: uuid\n      owner: uuid\n      \
             status: Status\n      count: int\n    on:\n      Opened{n}:\n        set: {{ owner: owner }}\n        \
             set_const: {{ status: Open }}\n      Counted{n}:\n        set: {{ count: count }}\n      Closed{n}:\n        \
             set_const: {{ status: Closed }}\n"
        )
        .unwrap();
    }
    yaml.push_str("queries:\n");
    for n in 0..AGGREGATES {
        writeln!(
            yaml,
            "  thing{n}: {{ projection: Thing{n}View, get_by: thing{n}_id }}"
        )
        .unwrap();
        writeln!(
            yaml,
            "  things{n}_by_owner: {{ projection: Thing{n}View, list_by: owner }}"
        )
        .unwrap();
    }
    yaml
}

fn main() {
    let dir = std::env::temp_dir().join(format!("eventwright-render-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("large.yaml");
    let source = large_model();
    std::fs::write(&path, &source).unwrap();
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut files = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let model = model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
        let options = Options {
            runtime: RuntimeSource::Version("0.1.0".to_owned()),
            model_source: source.clone(),
        };
        files = render(&model, &options).expect("the model renders").len();
        times.push(started.elapsed());
    }
    std::fs::remove_dir_all(&dir).ok();
    times.sort();
    let ms = |time: Duration| time.as_secs_f64() * 1e3;
    println!(
        "{AGGREGATES}-aggregate model ({} lines of YAML) to {files} files: median {:.1} ms, \
         fastest {:.1} ms, slowest {:.1} ms over {RUNS} runs",
        source.lines().count(),
        ms(times[RUNS / 2]),
        ms(times[0]),
        ms(times[RUNS - 1]),
    );
}
