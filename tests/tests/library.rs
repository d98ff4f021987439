//! A model whose commands read other aggregates (a loan reads the member and records on both)
//! and whose books hold unique ISBNs generates a project that builds without a warning, passes
//! clippy, rustfmt and its own tests (given/when/then over both aggregates, and HTTP), on
//! SQLite and on PostgreSQL.

mod support;

use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::json;
use support::{
    Service, cargo, cargo_with_env, copied_binary, generate, postgres_url, scratch_postgres,
};

#[test]
fn library_project_builds_cleanly_and_passes_its_own_tests_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("library");
    generate("examples/library.yaml", &project, None);

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
    let binary = copied_binary("library", dir.path().join("library-sqlite"));
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    lend_over_http(&Service::start(
        &binary,
        &sqlite("events.db"),
        &sqlite("views.db"),
    ));

    // In the same test: both projects are the crate `library` in one target dir.
    let project = dir.path().join("library-postgres");
    let stack = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Inproc,
    };
    generate("examples/library.yaml", &project, Some(stack));
    cargo_with_env(
        &project,
        &["test"],
        &[("LIBRARY_TEST_POSTGRES_URL", postgres_url())],
    );
    let binary = copied_binary("library", dir.path().join("library-postgres-service"));
    lend_over_http(&Service::start(
        &binary,
        &scratch_postgres(),
        &scratch_postgres(),
    ));
}

/// A member's loan over HTTP: refused while the member does not exist, then recorded on the
/// book and the member at once; a second book with the same ISBN refused until the first is
/// withdrawn.
fn lend_over_http(service: &Service) {
    let post = |path: &str, body: serde_json::Value| service.call("POST", path, Some(&body));
    let dune = json!({ "isbn": "978-0441", "title": "Dune" });
    let (status, mistyped) = post(
        "/books/dune/register-book",
        json!({ "isbn": "978 0441", "title": "Dune" }),
    );
    assert_eq!(
        (status, &mistyped["code"], &mistyped["field"]),
        (400, &json!("invalid_field"), &json!("isbn")),
        "the model's pattern: {mistyped}"
    );
    assert_eq!(post("/books/dune/register-book", dune.clone()).0, 200);
    let (status, taken) = post("/books/dune-2/register-book", dune.clone());
    assert_eq!(
        (status, &taken["code"], &taken["field"]),
        (409, &json!("taken"), &json!("isbn")),
        "{taken}"
    );

    let lend = json!({ "member_id": "ann" });
    let (status, missing) = post("/books/dune/lend-book", lend.clone());
    assert_eq!(
        (status, &missing["detail"]),
        (404, &json!("Member ann does not exist"))
    );
    assert_eq!(
        post("/members/ann/join-library", json!({ "name": "Ann" })).0,
        200
    );
    let (status, lent) = post("/books/dune/lend-book", lend.clone());
    assert_eq!((status, &lent["version"]), (200, &json!(2)), "{lent}");
    let (status, again) = post("/books/dune/lend-book", lend.clone());
    assert_eq!(
        (status, &again["code"], &again["detail"]),
        (
            409,
            &json!("book_on_loan"),
            &json!("the book is already on loan")
        ),
        "the guard's own code: {again}"
    );
    service.wait_for("/member-loans/ann", |status, row| {
        status == 200 && row["loans"] == 1
    });
    // The catalog names the borrower: the loan took the name from the member's state, and a
    // rename reaches every book row lent to the member.
    service.wait_for("/book/dune", |status, row| {
        status == 200 && row["borrower"] == "Ann"
    });
    assert_eq!(
        post("/members/ann/rename-member", json!({ "name": "Ann B." })).0,
        200
    );
    service.wait_for("/book/dune", |status, row| {
        status == 200 && row["borrower"] == "Ann B."
    });

    // What Ann has out, soonest due first, a page at a time; `from` and `before` narrow it to
    // a span of due dates.
    let emma = json!({ "isbn": "978-0141", "title": "Emma" });
    assert_eq!(post("/books/emma/register-book", emma).0, 200);
    assert_eq!(post("/books/emma/lend-book", lend.clone()).0, 200);
    let all_time = "from=2000-01-01&before=2100-01-01";
    let first = service.wait_for(
        &format!("/books-due/ann?{all_time}&limit=1"),
        |status, page| status == 200 && page["next_cursor"].is_string(),
    );
    assert_eq!(
        first["items"][0]["book_id"], "dune",
        "due the same day: by key"
    );
    let cursor = first["next_cursor"].as_str().expect("a cursor");
    let (status, second) = service.call(
        "GET",
        &format!("/books-due/ann?{all_time}&limit=1&cursor={cursor}"),
        None,
    );
    assert_eq!(
        (
            status,
            &second["items"][0]["book_id"],
            &second["next_cursor"]
        ),
        (200, &json!("emma"), &json!(null)),
        "{second}"
    );
    let (status, other) = service.call(
        "GET",
        &format!("/books-due/ann?from=2000-01-02&limit=1&cursor={cursor}"),
        None,
    );
    assert_eq!(
        (status, &other["field"]),
        (400, &json!("cursor")),
        "a cursor of other parameters: {other}"
    );
    let (status, none) = service.call("GET", "/books-due/ann?before=2000-01-01", None);
    assert_eq!((status, &none["items"]), (200, &json!([])), "{none}");
    let (status, mistyped) = service.call("GET", "/books-due/ann?from=soon", None);
    assert_eq!(
        (status, &mistyped["field"]),
        (400, &json!("from")),
        "{mistyped}"
    );
    assert_eq!(post("/books/emma/return-book", lend.clone()).0, 200);

    assert_eq!(
        post("/books/dune/withdraw-book", json!({})).0,
        409,
        "a book on loan"
    );
    // Renewed within its due date, by the server's clock.
    let (status, renewed) = post("/books/dune/renew-loan", json!({}));
    assert_eq!((status, &renewed["version"]), (200, &json!(3)), "{renewed}");
    assert_eq!(post("/books/dune/return-book", lend).0, 200);
    let (status, returned) = post("/books/dune/renew-loan", json!({}));
    assert_eq!(
        (status, &returned["code"]),
        (409, &json!("book_not_on_loan")),
        "{returned}"
    );
    assert_eq!(post("/books/dune/withdraw-book", json!({})).0, 200);
    let (status, registered) = post("/books/dune-2/register-book", dune);
    assert_eq!(
        status, 200,
        "the withdrawn book freed its ISBN: {registered}"
    );
    service.wait_for("/member-loans/ann", |status, row| {
        status == 200 && row["loans"] == 0
    });
    service.wait_for("/book/dune", |status, row| {
        status == 200 && row["borrower"] == ""
    });

    // Every book, a page at a time, once the catalog holds all three.
    service.wait_for("/all-books?limit=3", |status, page| {
        status == 200
            && page["items"]
                .as_array()
                .is_some_and(|items| items.len() == 3)
    });
    let first = service.wait_for("/all-books?limit=1", |status, page| {
        status == 200 && page["next_cursor"].is_string()
    });
    assert_eq!(first["items"][0]["book_id"], "dune", "{first}");
    let cursor = first["next_cursor"].as_str().expect("a cursor");
    let (status, second) =
        service.call("GET", &format!("/all-books?limit=1&cursor={cursor}"), None);
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["items"][0]["book_id"], "dune-2", "{second}");
    let cursor = second["next_cursor"].as_str().expect("a cursor");
    let (status, third) = service.call("GET", &format!("/all-books?limit=1&cursor={cursor}"), None);
    assert_eq!(
        (status, &third["items"][0]["book_id"]),
        (200, &json!("emma")),
        "{third}"
    );
    assert!(third["next_cursor"].is_null(), "the last page: {third}");
    let (status, refused) = service.call("GET", "/all-books?limit=0", None);
    assert_eq!(
        (status, &refused["field"]),
        (400, &json!("limit")),
        "{refused}"
    );
}
