//! A model whose commands read facts (a course's seats and one student's subscription, folded
//! from every student's tagged events) generates a project that builds without a warning,
//! passes clippy, rustfmt and its own tests, and over HTTP never lets a course take more than
//! its thirty students, however many subscribe at once, on SQLite and on PostgreSQL.

mod support;

use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::json;
use support::{
    Service, cargo, cargo_with_env, copied_binary, generate, postgres_url, scratch_postgres,
};

#[test]
fn courses_project_builds_cleanly_and_passes_its_own_tests_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("courses");
    generate("examples/courses.yaml", &project, None);

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
    let binary = copied_binary("courses", dir.path().join("courses-sqlite"));
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    subscribe_over_http(&Service::start(
        &binary,
        &sqlite("events.db"),
        &sqlite("views.db"),
    ));

    // In the same test: both projects are the crate `courses` in one target dir.
    let project = dir.path().join("courses-postgres");
    let stack = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Inproc,
    };
    generate("examples/courses.yaml", &project, Some(stack));
    cargo_with_env(
        &project,
        &["test"],
        &[("COURSES_TEST_POSTGRES_URL", postgres_url())],
    );
    let binary = copied_binary("courses", dir.path().join("courses-postgres-service"));
    subscribe_over_http(&Service::start(
        &binary,
        &scratch_postgres(),
        &scratch_postgres(),
    ));
}

/// Thirty-one students subscribe to a course of thirty at once: exactly one is told the course
/// is full. A student subscribes once, unsubscribes only from a course they are in, and the
/// place one frees goes to the student refused before.
fn subscribe_over_http(service: &Service) {
    let post = |path: &str, body: serde_json::Value| service.call("POST", path, Some(&body));
    let course = json!({ "title": "Event sourcing" });
    assert_eq!(post("/courses/es-101/define-course", course).0, 200);
    for n in 0..31 {
        let name = json!({ "name": format!("Student {n}") });
        assert_eq!(
            post(&format!("/students/s-{n}/register-student"), name).0,
            200
        );
    }
    let subscribe = json!({ "course_id": "es-101" });
    let answers: Vec<(u16, serde_json::Value)> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..31)
            .map(|n| {
                let subscribe = subscribe.clone();
                scope
                    .spawn(move || post(&format!("/students/s-{n}/subscribe-to-course"), subscribe))
            })
            .collect();
        calls
            .into_iter()
            .map(|call| call.join().expect("a subscription answered"))
            .collect()
    });
    let refused: Vec<usize> = (0..31).filter(|&n| answers[n].0 != 200).collect();
    assert_eq!(refused.len(), 1, "{answers:?}");
    let full = &answers[refused[0]];
    assert_eq!(
        (full.0, &full.1["code"], &full.1["detail"]),
        (409, &json!("course_full"), &json!("the course is full")),
        "{full:?}"
    );
    // Two students who got in.
    let (leaving, staying) = match refused[0] {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    };
    let to_course =
        |n: usize, action: &str| post(&format!("/students/s-{n}/{action}"), subscribe.clone());
    assert_eq!(to_course(leaving, "unsubscribe-from-course").0, 200);
    let twice = to_course(leaving, "unsubscribe-from-course");
    assert_eq!(
        (twice.0, &twice.1["detail"]),
        (409, &json!("not subscribed to this course"))
    );
    let again = to_course(staying, "subscribe-to-course");
    assert_eq!(
        (again.0, &again.1["detail"]),
        (409, &json!("already subscribed to this course"))
    );
    let late = to_course(refused[0], "subscribe-to-course");
    assert_eq!(late.0, 200, "the freed place: {late:?}");
    service.wait_for("/course-roster/es-101", |status, row| {
        status == 200 && row["students"] == 30
    });
}
