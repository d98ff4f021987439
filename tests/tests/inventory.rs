//! A second model, with string ids, dates, timestamps, increments, deletes and a state-stored
//! aggregate, generates a project that builds without a warning and passes clippy, rustfmt and
//! its own tests; on PostgreSQL too, where its state rows and events commit in one statement.

mod support;

use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use support::{cargo, cargo_with_env, generate, postgres_url};

#[test]
fn inventory_project_builds_cleanly_and_passes_its_own_tests_on_sqlite_and_postgres() {
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

    // In the same test, not beside it: both projects are the crate `inventory` in one target
    // dir, so their builds must not interleave.
    let project = dir.path().join("inventory-postgres");
    let stack = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Inproc,
    };
    generate("examples/inventory.yaml", &project, Some(stack));
    cargo_with_env(
        &project,
        &["test"],
        &[("INVENTORY_TEST_POSTGRES_URL", postgres_url())],
    );
}
