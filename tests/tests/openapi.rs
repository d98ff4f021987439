//! schemathesis, a property-based API tester from PyPI, against each example service's own
//! `/openapi.json`: thousands of generated requests, valid and hostile, and not one 5xx, and
//! every response matching the documented status codes, content types and schemas.

mod support;

use std::time::Duration;

use eventwright::http::auth::issue_token_with;
use support::{Service, cargo, generate, shared_target};

fn schemathesis_python() -> String {
    std::env::var("EVENTWRIGHT_SCHEMATHESIS_PYTHON").unwrap_or_else(|_| {
        panic!("EVENTWRIGHT_SCHEMATHESIS_PYTHON is not set: run the suite with scripts/test.sh")
    })
}

/// Builds `model`'s service, runs it on SQLite with `settings`, and points schemathesis at it,
/// each request with `headers` (`Name: value`).
fn schemathesis_finds_nothing(model: &str, service: &str, settings: &[String], headers: &[String]) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join(service);
    generate(model, &project, None);
    cargo(&project, &["build", "--bin", service]);
    let binary = dir.path().join(format!("{service}-openapi"));
    std::fs::copy(shared_target().join("debug").join(service), &binary)
        .expect("the binary was built");
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let running = Service::start_with(&binary, &sqlite("events.db"), &sqlite("views.db"), settings);

    let output = std::process::Command::new(schemathesis_python())
        .args(["-m", "schemathesis.cli", "run"])
        .arg(format!("{}/openapi.json", running.base))
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance",
            "--max-examples",
            "50",
            "--generation-database",
            "none",
            // A watch streams for as long as the client listens: the SSE tests cover it.
            "--exclude-path-regex",
            "/watch$",
            "--no-color",
        ])
        .args(headers.iter().flat_map(|header| ["-H", header.as_str()]))
        .current_dir(dir.path())
        .output()
        .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found failures in {service}:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("passed"), "{report}");
}

#[test]
fn no_generated_request_breaks_a_generated_service() {
    // One after the other: both build in the shared target dir.
    schemathesis_finds_nothing("examples/ordering.yaml", "ordering", &[], &[]);
    // Inventory serves tenants: every request carries a token of one of them.
    let secret = "the schemathesis run's own secret, 32 bytes or more";
    let mut claims = serde_json::Map::new();
    claims.insert("org".to_owned(), "north".into());
    let token = issue_token_with(
        secret.as_bytes(),
        "schemathesis",
        &[],
        Duration::from_secs(3600),
        claims,
    );
    schemathesis_finds_nothing(
        "examples/inventory.yaml",
        "inventory",
        &[
            "--auth-secret".to_owned(),
            secret.to_owned(),
            "--tenants".to_owned(),
            "north".to_owned(),
        ],
        &[format!("Authorization: Bearer {token}")],
    );
}
