//! A model whose commands read other aggregates (a loan reads the member and records on both)
//! and whose books hold unique ISBNs generates a project that builds without a warning, passes
//! clippy, rustfmt and its own tests (given/when/then over both aggregates, and HTTP), on
//! SQLite and on PostgreSQL; and whose service, given keys, checks its callers' tokens.

mod support;
mod tokens;

use std::path::Path;

use eventwright::consistency::ConsistencyToken;
use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::{Value, json};
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
    keyed_over_http(
        &binary,
        &sqlite("keyed-events.db"),
        &sqlite("keyed-views.db"),
    );
    let open = Service::start(
        &binary,
        &sqlite("hostile-events.db"),
        &sqlite("hostile-views.db"),
    );
    // Without keys every route is open, and the service says so as it starts.
    tokens::said(&open, "authentication is off");
    hostile_requests(&open);
    tokens::secret_tokens(&binary, &sqlite("auth-events.db"), &sqlite("auth-views.db"));
    tokens::issuer_tokens(&binary, &sqlite("jwks-events.db"), &sqlite("jwks-views.db"));

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
    keyed_over_http(&binary, &scratch_postgres(), &scratch_postgres());
}

/// Requests sent with an `Idempotency-Key`, a command and a decision over two aggregates: each
/// sent again, before and after the service restarts, answers exactly as the first time and
/// records nothing more; the key on another body is refused.
fn keyed_over_http(binary: &Path, write_db: &str, read_db: &str) {
    let join = json!({ "name": "Kim" });
    let lend = json!({ "member_id": "kim" });
    let send = |service: &Service, path: &str, body: &Value, key: &str| {
        service.call_with("POST", path, Some(body), &[("idempotency-key", key)])
    };
    let mut service = Service::start(binary, write_db, read_db);
    let kindred = json!({ "isbn": "978-0807", "title": "Kindred" });
    let (status, registered) = service.call("POST", "/books/kindred/register-book", Some(&kindred));
    assert_eq!(status, 200, "{registered}");
    let (status, joined) = send(&service, "/members/kim/join-library", &join, "join-kim");
    assert_eq!(status, 200, "{joined}");
    let (status, lent) = send(&service, "/books/kindred/lend-book", &lend, "lend-kindred");
    assert_eq!(status, 200, "{lent}");
    for restarted in [false, true] {
        if restarted {
            drop(service);
            service = Service::start(binary, write_db, read_db);
        }
        let again = send(&service, "/members/kim/join-library", &join, "join-kim");
        assert_eq!(again, (200, joined.clone()), "restarted: {restarted}");
        let again = send(&service, "/books/kindred/lend-book", &lend, "lend-kindred");
        assert_eq!(again, (200, lent.clone()), "restarted: {restarted}");
    }
    let (status, reused) = send(
        &service,
        "/members/kim/join-library",
        &json!({ "name": "Kim B." }),
        "join-kim",
    );
    assert_eq!(
        (status, &reused["code"]),
        (422, &json!("idempotency_key_reused")),
        "{reused}"
    );
    // Nothing more recorded: the book's next event follows the loan's.
    let (status, returned) = service.call("POST", "/books/kindred/return-book", Some(&lend));
    assert_eq!(status, 200, "{returned}");
    assert_eq!(
        returned["version"],
        json!(lent["version"].as_u64().unwrap() + 1)
    );
    service.wait_for("/member-loans/kim", |status, row| {
        status == 200 && row["loans"] == 0 && row["name"] == "Kim"
    });
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

/// Requests written to hurt: each refused with a problem naming what was too big or forged,
/// never a 500, and the service answers normally after them.
fn hostile_requests(service: &Service) {
    // 10 MB, declared: refused before it is read.
    let (status, problem) = raw_post(service, "/members/zed/join-library", 10 << 20);
    assert_eq!(status, 413, "{problem}");
    assert!(problem.contains("too_large"), "{problem}");

    let join = json!({ "name": "Zed" });
    let huge = "x".repeat(100 * 1024);
    for header in ["x-correlation-id", "x-causation-id", "idempotency-key"] {
        let (status, problem) = service.call_with(
            "POST",
            "/members/zed/join-library",
            Some(&join),
            &[(header, &huge)],
        );
        assert_eq!(
            (status, &problem["field"]),
            (400, &json!(format!("header {header}"))),
            "{problem}"
        );
    }
    // A header the service does not read is left alone, however long; a malformed trace
    // context is ignored rather than stored.
    let (status, joined) = service.call_with(
        "POST",
        "/members/zed/join-library",
        Some(&join),
        &[("x-whatever", &huge), ("traceparent", &huge)],
    );
    assert_eq!(status, 200, "{joined}");

    let forged = ["not-a-token", "0123456789abcdef", huge.as_str()];
    for token in forged {
        let (status, problem) = service.call_with(
            "GET",
            "/member-loans/zed",
            None,
            &[("x-consistency-token", token)],
        );
        assert_eq!(
            (status, &problem["field"]),
            (400, &json!("header x-consistency-token")),
            "{problem}"
        );
    }
    // A real token, pushed a billion versions into the future: refused at once, not waited on.
    let mut future = ConsistencyToken::parse(joined["consistency_token"].as_str().unwrap())
        .expect("the service's own token");
    future.version += 1_000_000_000;
    let started = std::time::Instant::now();
    let (status, problem) = service.call_with(
        "GET",
        "/member-loans/zed",
        None,
        &[("x-consistency-token", &future.encode())],
    );
    assert_eq!(
        (status, &problem["field"]),
        (400, &json!("header x-consistency-token")),
        "{problem}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    for (query, field) in [
        ("limit=1000000000000", "limit"),
        ("limit=0", "limit"),
        ("cursor=ffffffffffffffffffffffffffff", "cursor"),
        ("cursor=not-hex", "cursor"),
    ] {
        let (status, problem) = service.call("GET", &format!("/books-due/zed?{query}"), None);
        assert_eq!(
            (status, &problem["field"]),
            (400, &json!(field)),
            "{query}: {problem}"
        );
    }
    // Still answering: Zed's row, once the projection has caught up with the join.
    service.wait_for("/member-loans/zed", |status, row| {
        status == 200 && row["name"] == "Zed"
    });
}

/// `POST path` with a body of `length` bytes declared, written by hand: the status and the
/// answer's text. The service may answer before the body is sent.
fn raw_post(service: &Service, path: &str, length: usize) -> (u16, String) {
    use std::io::{Read, Write};

    let address = service.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("the service listens");
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
         content-length: {length}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("the head is sent");
    // The service may close the connection once it has answered: a failed write is fine.
    let _ = stream.write_all(&vec![b' '; 64 * 1024]);
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("an HTTP answer: {answer:?}"));
    (status, answer)
}
