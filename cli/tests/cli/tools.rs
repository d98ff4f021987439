//! `graph`, `diff`, `schema`, `completions`, `--help`, `--version`, and bad model files.

use std::path::Path;

use crate::support::{
    eventwright, eventwright_in, example, expect_code, new_ordering, read, stderr, stdout,
};

#[test]
fn graph_draws_mermaid_by_default_and_dot_on_request() {
    let mermaid = eventwright(&["graph", &example("ordering.yaml")]);
    expect_code(&mermaid, 0);
    let chart = stdout(&mermaid);
    assert!(chart.starts_with("flowchart LR\n"), "{chart}");
    assert!(
        chart.contains("PlaceOrder[/PlaceOrder/] --> Order[(Order)]"),
        "{chart}"
    );
    assert!(chart.contains("OrderHistory --> orders_by_customer{{orders_by_customer}}"));

    let dot = eventwright(&["graph", &example("ordering.yaml"), "--format", "dot"]);
    expect_code(&dot, 0);
    assert!(
        stdout(&dot).starts_with("digraph \"ordering\" {"),
        "{}",
        stdout(&dot)
    );
}

#[test]
fn the_generated_readme_embeds_the_same_chart_and_graph_finds_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let project = new_ordering(dir.path());
    let inside = eventwright_in(&project.join("src"), &["graph"]);
    expect_code(&inside, 0);
    let readme = read(&project, "README.md");
    assert!(
        readme.contains(stdout(&inside).trim_end()),
        "README:\n{readme}\ngraph:\n{}",
        stdout(&inside)
    );
}

fn write_model(dir: &Path, name: &str, source: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, source).unwrap();
    path.display().to_string()
}

#[test]
fn diff_exits_1_on_a_breaking_change_and_says_how_to_fix_it() {
    let dir = tempfile::tempdir().unwrap();
    let ordering = std::fs::read_to_string(example("ordering.yaml")).unwrap();
    let same = eventwright(&["diff", &example("ordering.yaml"), &example("ordering.yaml")]);
    expect_code(&same, 0);
    assert!(
        stdout(&same).contains("no event changed"),
        "{}",
        stdout(&same)
    );

    // A new optional field: compatible.
    let compatible = ordering.replacen(
        "      OrderCancelled:\n        fields:\n          reason: optional<string>\n",
        "      OrderCancelled:\n        fields:\n          reason: optional<string>\n          note: string?\n",
        1,
    );
    let compatible = compatible.replacen(
        "          reason: optional<string>\n        guards:",
        "          reason: optional<string>\n          note: string?\n        guards:",
        1,
    );
    let new = write_model(dir.path(), "compatible.yaml", &compatible);
    let output = eventwright(&["diff", &example("ordering.yaml"), &new]);
    expect_code(&output, 0);
    assert!(
        stdout(&output).contains("compatible Order.OrderCancelled v1: new optional field `note`"),
        "{}",
        stdout(&output)
    );

    // The same field removed again: breaking.
    let output = eventwright(&["diff", &new, &example("ordering.yaml"), "--format", "json"]);
    expect_code(&output, 1);
    let changes: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(changes[0]["verdict"], "breaking", "{changes}");
    assert_eq!(changes[0]["what"], "field `note` was removed");
    assert!(changes[0]["fix"].as_str().unwrap().contains("upcaster"));
}

#[test]
fn schema_prints_the_json_schema_a_generated_project_points_at() {
    let output = eventwright(&["schema"]);
    expect_code(&output, 0);
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(schema["title"], "eventwright model");

    let dir = tempfile::tempdir().unwrap();
    let project = new_ordering(dir.path());
    assert_eq!(
        read(&project, ".eventwright/model.schema.json"),
        stdout(&output)
    );
    let model = read(&project, "eventwright.yaml");
    assert!(
        model.starts_with("# yaml-language-server: $schema=.eventwright/model.schema.json\n"),
        "{model}"
    );
}

#[test]
fn completions_version_and_help_with_examples() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = eventwright(&["completions", shell]);
        expect_code(&output, 0);
        assert!(stdout(&output).contains("generate"), "{shell}");
    }
    let version = eventwright(&["--version"]);
    expect_code(&version, 0);
    assert_eq!(
        stdout(&version).trim(),
        concat!("eventwright ", env!("CARGO_PKG_VERSION"))
    );
    for command in [
        "new",
        "generate",
        "validate",
        "graph",
        "diff",
        "schema",
        "completions",
    ] {
        let help = eventwright(&[command, "--help"]);
        expect_code(&help, 0);
        assert!(
            stdout(&help).contains("Examples:\n  eventwright "),
            "`{command} --help` shows examples:\n{}",
            stdout(&help)
        );
    }
}

#[test]
fn bad_model_files_get_a_clear_error_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!(
        "version: 1\nservice: x\ndescription: \"{}\"\n",
        "a".repeat(10 * 1024 * 1024)
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.yaml", Vec::new(), "the model file is empty"),
        (
            "comments.yaml",
            b"# nothing yet\n".to_vec(),
            "the model file is empty",
        ),
        ("binary.yaml", vec![0, 159, 146, 150], "not UTF-8 text"),
        ("text.yaml", b"just words\n".to_vec(), "expected mapping"),
        ("broken.yaml", b"version: [1\n".to_vec(), "fail"),
        ("big.yaml", big.into_bytes(), "a model is at most 1 MiB"),
        (
            "deep.yaml",
            "[".repeat(100_000).into_bytes(),
            "nests far deeper",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let output = eventwright(&["validate", path.to_str().unwrap()]);
        expect_code(&output, 1);
        let message = stderr(&output);
        assert!(message.contains(name), "{name} names the file: {message}");
        if expected != "fail" {
            assert!(message.contains(expected), "{name}: {message}");
        }
    }
    for (path, expected) in [
        (dir.path().join("missing.yaml"), "No such file"),
        (dir.path().to_path_buf(), "is a directory"),
    ] {
        let output = eventwright(&["validate", path.to_str().unwrap()]);
        expect_code(&output, 1);
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
    }
}
