//! The `eventwright` binary as users and scripts meet it: exit codes, messages, and what each
//! subcommand does to a project. One test binary, one module per subcommand.

mod generate;
mod hostile;
mod support;
mod tools;

use support::{eventwright, example, stderr};

#[test]
fn a_valid_model_validates() {
    for model in ["ordering.yaml", "inventory.yaml"] {
        let output = eventwright(&["validate", &example(model)]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
}

#[test]
fn an_invalid_model_exits_1_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("broken.yaml");
    std::fs::write(&model, "version: 1\nservice: shop\naggregates:\n  Cart:\n    id: cart_id\n    state:\n      total: monye\n    commands: {}\n    events: {}\n").unwrap();
    let output = eventwright(&["validate", model.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("broken.yaml:7:14"), "{message}");
    assert!(message.contains("unknown type `monye`"), "{message}");

    let json = eventwright(&["validate", "--format", "json", model.to_str().unwrap()]);
    assert_eq!(json.status.code(), Some(1));
    let problems: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON on stdout");
    assert_eq!(problems[0]["line"], 7);
    assert_eq!(problems[0]["column"], 14);
}

/// `eventwright graph | head -1`: the reader stops, and the command ends quietly with success
/// (the pipe is closed before the command writes anything, so it always meets a closed pipe).
#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().to_str().unwrap();
    let created = eventwright(&["new", &example("library.yaml"), "--out", project]);
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let library = example("library.yaml");
    let runs: [&[&str]; 5] = [
        &["graph", &library],
        &["schema"],
        &["completions", "bash"],
        &["validate", "--format", "json", &library],
        &["generate", "--project", project, "--verbose"],
    ];
    for args in runs {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("eventwright"))
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).is_empty(), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(eventwright(&["new"]).status.code(), Some(2));
    assert_eq!(
        eventwright(&["validate", "--format", "xml", &example("ordering.yaml")])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn new_refuses_a_non_empty_directory_without_force_and_keeps_user_files_with_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let out = dir.path().to_str().unwrap();
    let refused = eventwright(&["new", &example("ordering.yaml"), "--out", out]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--force"), "{}", stderr(&refused));

    let created = eventwright(&["new", &example("ordering.yaml"), "--out", out, "--force"]);
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let handlers = dir.path().join("src/order/handlers.rs");
    std::fs::write(&handlers, "// my domain logic\n").unwrap();
    let again = eventwright(&["new", &example("ordering.yaml"), "--out", out, "--force"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(&handlers).unwrap(),
        "// my domain logic\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "mine"
    );
    let header = std::fs::read_to_string(dir.path().join("src/order/mod.rs")).unwrap();
    assert!(
        header.starts_with("// @generated"),
        "generated files say so: {header}"
    );
}
