//! Property tests of the loader, validator and renderer: no input makes them panic. Every
//! failure must come back as diagnostics, and every model they accept must render.
//!
//! CI runs the default 256 cases per property; for a longer run, e.g. 20 000 cases:
//! `PROPTEST_CASES=20000 cargo test -p eventwright-cli --release --test fuzz`.

use eventwright_cli::model;
use eventwright_cli::render::{Options, RuntimeSource, render};
use proptest::prelude::*;

const ORDERING: &str = include_str!("../../examples/ordering.yaml");
const INVENTORY: &str = include_str!("../../examples/inventory.yaml");

/// Parses `source`; a model it accepts must render, and its problems must display.
fn check(source: &str) {
    match model::parse("fuzz.yaml", source) {
        Ok(model) => {
            let options = Options {
                runtime: RuntimeSource::Version("0.1.0".into()),
                model_source: source.to_owned(),
            };
            render(&model, &options).expect("a valid model renders");
        }
        Err(diagnostics) => {
            assert!(!diagnostics.items.is_empty(), "an error says what is wrong");
            let _ = diagnostics.to_string();
            let _ = diagnostics.to_json();
        }
    }
}

/// Pieces a model is made of, so that generated inputs get past the YAML parser and reach the
/// validator's rules.
fn token() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "version: 1",
        "service: shop",
        "aggregates:",
        "projections:",
        "queries:",
        "enums:",
        "values:",
        "commands:",
        "events:",
        "state:",
        "fields:",
        "guards:",
        "emits:",
        "apply:",
        "on:",
        "id: cart_id",
        "id_type: int",
        "key: cart_id",
        "Cart:",
        "Open:",
        "Opened:",
        "Status: [A, B]",
        "total: int",
        "total: { type: int, min: 0, max: -1 }",
        "name: string?",
        "lines: list<Line>",
        "x: optional<optional<int>>",
        "emits: [Opened]",
        "creates: true",
        "set: { total: total }",
        "set_const: { status: A }",
        "increment: { total: 1.5 }",
        "remove: { lines: total }",
        "delete: true",
        "- { field: total, at_least: total }",
        "- { field: status, one_of: [A, C] }",
        "get_by: cart_id",
        "list_by: total",
        "projection: CartView",
        "q: { projection: Cart, get_by: total }",
        "&a [1]",
        "*a",
        "!!str",
        "{",
        "}",
        "[",
        "]",
        "- ",
        "? ",
        ": ",
        "'",
        "\"",
        "#",
        "\t",
        "~",
        "null",
        "1e999",
        "-0",
        "0x10",
    ])
}

fn indent() -> impl Strategy<Value = String> {
    (0usize..5).prop_map(|n| "  ".repeat(n))
}

fn model_like() -> impl Strategy<Value = String> {
    prop::collection::vec((indent(), token()), 0..40).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(indent, token)| format!("{indent}{token}\n"))
            .collect()
    })
}

/// An example model with one line removed, repeated or replaced, or a few characters changed.
fn mutated_example() -> impl Strategy<Value = String> {
    let example = prop::sample::select(vec![ORDERING, INVENTORY]);
    (example, 0usize..200, 0usize..4, token(), any::<char>()).prop_map(
        |(source, at, how, token, ch)| {
            let mut lines: Vec<String> = source.lines().map(str::to_owned).collect();
            let at = at % lines.len();
            match how {
                0 => {
                    lines.remove(at);
                }
                1 => lines.insert(at, lines[at].clone()),
                2 => {
                    let indent: String = lines[at].chars().take_while(|c| *c == ' ').collect();
                    lines[at] = format!("{indent}{token}");
                }
                _ => {
                    let line = &mut lines[at];
                    let mut chars: Vec<char> = line.chars().collect();
                    let i = if chars.is_empty() {
                        0
                    } else {
                        at % chars.len()
                    };
                    chars.insert(i, ch);
                    *line = chars.into_iter().collect();
                }
            }
            lines.join("\n")
        },
    )
}

proptest! {
    #[test]
    fn any_text_is_refused_or_accepted_without_panicking(source in "\\PC{0,400}") {
        check(&source);
    }

    #[test]
    fn model_shaped_text_reaches_the_validator_without_panicking(source in model_like()) {
        check(&source);
    }

    #[test]
    fn edited_examples_are_refused_or_rendered_without_panicking(source in mutated_example()) {
        check(&source);
    }
}

#[test]
fn pathological_inputs_get_a_clear_error() {
    let deep = "[".repeat(100_000);
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n\
                c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n\
                e: &e [*d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e]\n";
    let long_line = format!("version: 1\nservice: {}\n", "x".repeat(500_000));
    for (source, what) in [
        (deep.as_str(), "deep nesting"),
        (bomb, "an alias bomb"),
        (long_line.as_str(), "a very long line"),
        ("\u{feff}version: 1\n", "a byte-order mark"),
        ("version: 1\r\nservice: shop\r\n", "CRLF line ends"),
    ] {
        let started = std::time::Instant::now();
        check(source);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{what} took {:?}",
            started.elapsed()
        );
    }
}
