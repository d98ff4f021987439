//! Models written to hurt: each is refused with a problem at file:line:column, in bounded
//! time, and `eventwright new` writes nothing at all, let alone outside `--out`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{eventwright, stderr};

/// A small valid model with `{name}` where a hostile name goes, as an aggregate's field.
const MODEL: &str = "\
version: 1
service: shop
aggregates:
  Cart:
    id: cart_id
    state:
      total: int
    commands:
      OpenCart:
        creates: true
        emits: [CartOpened]
    events:
      CartOpened: {}
";

/// Runs `new` on `source`, expecting a refusal that names `at` (`line:column`) of the model.
fn refused(source: &str, at: &str, what: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("hostile.yaml");
    std::fs::write(&model, source).unwrap();
    let out = dir.path().join("out").join("service");
    let started = Instant::now();
    let output = eventwright(&[
        "new",
        model.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let took = started.elapsed();
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{what}: {message}");
    assert!(took < Duration::from_secs(10), "{what} took {took:?}");
    assert!(
        message.contains(&format!("hostile.yaml:{at}")),
        "{what}: expected hostile.yaml:{at} in\n{message}"
    );
    assert!(!message.contains("panicked"), "{what}: {message}");
    assert_eq!(
        entries(dir.path()),
        ["hostile.yaml"],
        "{what}: files written"
    );
    message
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn hostile_names_are_refused_where_they_stand() {
    for (line, replacement, at, what) in [
        (
            2,
            "service: ../../etc",
            "2:10",
            "a service name that climbs out",
        ),
        (4, "  ../Cart:", "4:3", "an aggregate name that climbs out"),
        (4, "  \"Ca'rt\\\"\":", "4:3", "quotes in a name"),
        (4, "  Cart🛒:", "4:3", "an emoji in a name"),
        (7, "      type: int", "7:7", "a keyword as a field"),
        (7, "      self: int", "7:7", "another keyword"),
        (9, "      Open/../Cart:", "9:7", "a path in a command name"),
    ] {
        let mut lines: Vec<&str> = MODEL.lines().collect();
        lines[line - 1] = replacement;
        refused(&(lines.join("\n") + "\n"), at, what);
    }
}

/// Names that are the model's own but collide with what the generated code makes of another.
#[test]
fn names_the_generated_code_takes_are_refused() {
    let source = MODEL.replace("CartOpened", "CartEvent");
    let message = refused(&source, "13:7", "an event named like the aggregate's enum");
    assert!(message.contains("the enum of `Cart`'s events"), "{message}");
    let source = MODEL.replace("CartOpened", "Services");
    refused(
        &source,
        "13:7",
        "an event named like the application's services",
    );
}

#[test]
fn oversized_and_explosive_models_are_refused_quickly() {
    let laughs = {
        let mut source = String::from(
            "version: 1\nservice: shop\nx0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
        );
        for n in 1..10 {
            let previous = format!("*x{}", n - 1);
            source.push_str(&format!(
                "x{n}: &x{n} [{}]\n",
                vec![previous; 10].join(", ")
            ));
        }
        source
    };
    refused(&laughs, "", "a billion laughs");
    let huge = format!(
        "version: 1\nservice: shop\n# {}\n",
        "x".repeat(10 * 1024 * 1024)
    );
    refused(&huge, "1:1", "a 10 MB model");
    // Flow style: 10,000 levels of indentation would not fit in a model's size.
    let deep = format!(
        "version: 1\nservice: shop\naggregates: {}{}\n",
        "{k: ".repeat(10_000),
        "}".repeat(10_000)
    );
    refused(&deep, "3:", "10,000-deep nesting");
}
