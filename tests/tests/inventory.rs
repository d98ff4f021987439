//! A second model, with string ids, dates, timestamps, increments and deletes, generates a
//! project that builds without a warning and passes clippy, rustfmt and its own tests.

mod support;

use support::{cargo, generate};

#[test]
fn inventory_project_builds_cleanly_and_passes_its_own_tests() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("inventory");
    generate("examples/inventory.yaml", &project, None);

    let build = cargo(&project, &["build", "--all-targets"]);
    assert!(
        !build.contains("warning"),
        "the generated project builds with warnings:\n{build}"
    );
    cargo(
        &project,
        &["clippy", "--all-targets", "--", "-D", "warnings"],
    );
    cargo(&project, &["fmt", "--check"]);
    cargo(&project, &["test"]);
}
