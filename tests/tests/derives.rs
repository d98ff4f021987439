//! The derives as a user meets them in a crate of their own, where the workspace's trybuild
//! cases cannot stand: that crate's `Cargo.toml` is what the derives read.

mod support;

use std::process::Command;

/// A crate that depends on the derives but not on the runtime (say it reaches the runtime
/// through a crate of its own that re-exports it) is told, at the derive, how to name the path.
#[test]
fn a_crate_without_the_runtime_is_told_how_to_name_it() {
    let project = tempfile::tempdir().expect("a temp dir");
    let macros = support::workspace().join("macros");
    std::fs::write(
        project.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"reexported\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\neventwright-macros = {{ path = {:?} }}\n",
            macros.display().to_string()
        ),
    )
    .unwrap();
    // The workspace's lock file, so the derives' own dependencies resolve to the versions the
    // workspace builds with.
    std::fs::copy(
        support::workspace().join("Cargo.lock"),
        project.path().join("Cargo.lock"),
    )
    .unwrap();
    std::fs::create_dir(project.path().join("src")).unwrap();
    std::fs::write(
        project.path().join("src/lib.rs"),
        "#[derive(eventwright_macros::Event)]\npub enum BookEvent {\n    Lent { member: String },\n}\n",
    )
    .unwrap();

    let output = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--message-format=short"])
        .current_dir(project.path())
        .env("CARGO_TARGET_DIR", support::shared_target())
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it cannot compile:\n{stderr}");
    assert!(
        stderr.contains(
            "src/lib.rs:1:10: error: this crate's Cargo.toml does not depend on `eventwright`"
        ),
        "the error is at the derive:\n{stderr}"
    );
    assert!(
        stderr.contains("#[eventwright(crate = \"other_crate::eventwright\")]"),
        "it names the attribute that fixes it:\n{stderr}"
    );
}
