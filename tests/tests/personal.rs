//! Personal data forgotten in a generated service: the clinic's patient names and the notes on
//! missed appointments are sealed per patient. The stored events hold none of them in clear;
//! `clinic forget Patient <id> --rebuild` erases one patient's, in the read model too, and
//! nobody else's. On SQLite in process, and on PostgreSQL with Kafka (where the projections
//! read the sealed events from Kafka and open them).

mod support;

use std::path::Path;
use std::process::Command;

use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::{Value, json};
use support::{Service, build_service, generate, kafka_settings, scratch_postgres};

#[test]
fn a_forgotten_patient_reads_as_null_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("clinic");
    generate("examples/clinic.yaml", &project, None);
    let binary = build_service(&project, "clinic", dir.path().join("clinic-sqlite"));
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    forget_a_patient(&binary, &sqlite("events.db"), &sqlite("views.db"), &[]);
}

#[test]
fn a_forgotten_patient_reads_as_null_on_postgres_and_kafka() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("clinic-postgres");
    let stack = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Kafka,
    };
    generate("examples/clinic.yaml", &project, Some(stack));
    let binary = build_service(&project, "clinic", dir.path().join("clinic-kafka"));
    // Here the patients' keys are kept wrapped with a key from outside the database.
    let mut settings = kafka_settings();
    settings.push("--personal-key=B+t0a1Vy4uMq4C5YqJ6q3s4Xw9yZcV8pXoB3k2mQ1aE=".to_owned());
    forget_a_patient(&binary, &scratch_postgres(), &scratch_postgres(), &settings);
}

fn forget_a_patient(binary: &Path, write_db: &str, read_db: &str, settings: &[String]) {
    let service = Service::start_with(binary, write_db, read_db, settings);
    let send = |path: &str, body: Value| {
        let (status, answer) = service.call("POST", path, Some(&body));
        assert_eq!(status, 200, "{path}: {answer}");
    };
    send(
        "/patients/p1/register-patient",
        json!({ "name": "Pat Doe" }),
    );
    send(
        "/patients/p2/register-patient",
        json!({ "name": "Sam Roe" }),
    );
    let appointment = "/appointments/0190f7a2-0000-7000-8000-000000000001";
    send(
        &format!("{appointment}/book-appointment"),
        json!({ "patient_id": "p1", "slot": "2026-12-24T09:00:00Z", "day": "2026-12-24" }),
    );
    send(
        &format!("{appointment}/mark-missed"),
        json!({ "note": "anxious about needles" }),
    );
    service.wait_for("/patient-record/p1", |status, row| {
        status == 200 && row["name"] == "Pat Doe" && row["flags"] == 1
    });
    service.wait_for("/patient-record/p2", |status, row| {
        status == 200 && row["name"] == "Sam Roe"
    });

    let stored = stored_payloads(write_db);
    assert!(stored.contains("$sealed"), "{stored}");
    // The keys themselves are wrapped when the service has a key to wrap them with, and it
    // says at every start when it has none.
    let wrapped = settings
        .iter()
        .any(|setting| setting.starts_with("--personal-key"));
    let keys = stored_column("SELECT secret FROM eventwright_subject_keys", write_db);
    assert_eq!(keys.len(), 2, "{keys:?}");
    for key in &keys {
        assert_eq!(key.starts_with("wrapped:"), wrapped, "{key}");
    }
    let warned = service
        .output()
        .iter()
        .any(|line| line.contains("kept unwrapped"));
    assert_eq!(warned, !wrapped, "{:?}", service.output());
    for secret in ["Pat Doe", "Sam Roe", "needles"] {
        assert!(
            !stored.contains(secret),
            "{secret} is stored in clear: {stored}"
        );
    }

    let forget = |args: &[&str]| {
        let output = Command::new(binary)
            .arg("forget")
            .args(args)
            .args(["--write-db", write_db, "--read-db", read_db])
            .args(settings)
            .output()
            .expect("the binary runs");
        let said = String::from_utf8_lossy(&output.stdout).into_owned();
        (output.status.success(), said)
    };
    let (done, said) = forget(&["Patient", "p1", "--rebuild"]);
    assert!(done, "{said}");
    assert!(said.contains("Patient p1 is forgotten"), "{said}");
    assert!(said.contains("patient_record: rebuilt"), "{said}");

    // The running service reads the rebuilt rows: Pat's name is gone, Sam's is not.
    let pat = service.wait_for("/patient-record/p1", |status, row| {
        status == 200 && row["name"].is_null()
    });
    assert_eq!(pat["flags"], 1, "what was not personal stays: {pat}");
    let (_, sam) = service.call("GET", "/patient-record/p2", None);
    assert_eq!(sam["name"], "Sam Roe", "{sam}");

    let (done, said) = forget(&["Patient", "p1"]);
    assert!(done && said.contains("has no key"), "{said}");
    let (done, _) = forget(&["Doctor", "d1"]);
    assert!(!done, "an unknown kind of subject is refused");
}

/// Every stored event payload, as text.
fn stored_payloads(write_db: &str) -> String {
    let sql = "SELECT CAST(payload AS TEXT) FROM eventwright_events ORDER BY position";
    stored_column(sql, write_db).join("\n")
}

/// The text column `sql` selects, from the event store at `write_db`.
fn stored_column(sql: &str, write_db: &str) -> Vec<String> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        if write_db.starts_with("sqlite:") {
            let db = sqlx::SqlitePool::connect(write_db).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&db).await.unwrap()
        } else {
            let db = sqlx::PgPool::connect(write_db).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&db).await.unwrap()
        }
    })
}
