//! Helpers shared by the CLI's integration tests.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// Runs the binary with `args` in the current directory.
pub fn eventwright(args: &[&str]) -> Output {
    Command::cargo_bin("eventwright")
        .expect("the binary is built")
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the binary with `args` inside `dir`.
pub fn eventwright_in(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("eventwright")
        .expect("the binary is built")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// A model under `examples/`, as a path string.
pub fn example(name: &str) -> String {
    workspace()
        .join("examples")
        .join(name)
        .display()
        .to_string()
}

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ sits in the workspace")
        .to_path_buf()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Asserts the exit code, showing both streams when it is not the one expected.
#[track_caller]
pub fn expect_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// Generates the Ordering example into `<dir>/ordering` and returns the project path.
pub fn new_ordering(dir: &Path) -> PathBuf {
    let project = dir.join("ordering");
    let output = eventwright(&[
        "new",
        &example("ordering.yaml"),
        "--out",
        project.to_str().expect("a UTF-8 temp path"),
    ]);
    expect_code(&output, 0);
    project
}

/// Replaces the one occurrence of `from` in the project's model.
#[track_caller]
pub fn edit_model(project: &Path, from: &str, to: &str) {
    let path = project.join("eventwright.yaml");
    let model = std::fs::read_to_string(&path).expect("the model is readable");
    assert_eq!(model.matches(from).count(), 1, "the model has one {from:?}");
    std::fs::write(&path, model.replacen(from, to, 1)).expect("the model is writable");
}

pub fn read(project: &Path, path: &str) -> String {
    std::fs::read_to_string(project.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}
