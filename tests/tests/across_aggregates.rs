//! A projection over two aggregates: the library's `MemberLoans` keeps each member's row from
//! the member's own events and from the books lent to and returned by them. On the classic
//! stack (PostgreSQL, Kafka, Cassandra), Kafka keeps each aggregate's events in order and
//! interleaves the two aggregates' as it likes; on PostgreSQL alone and on SQLite alone, the
//! projectors read the log itself. Either way two projector processes run, one is killed with
//! SIGKILL mid-stream, and another is started after.
//! Once the projections catch up, every row is exactly what folding the event store's log says,
//! folded here by hand, not by the library's projection engine; and so is every member's
//! `books_due` list, read a page at a time from the Cassandra table that serves it, which each
//! lend and return moves a book in and out of; and every `active_loans` row, whose title and
//! borrower's name are copied from the rows of the other two projections (members renamed
//! while their loans are made, after the first projector is killed: through Kafka the copies
//! are sure for one projector process at a time, which the second is until the third starts).
//! A client watches one member's active loans all along (Server-Sent Events), hangs up when the
//! first projector is killed and reconnects from the last id it received: it ends holding
//! exactly the fold's rows, and no id comes twice.

mod support;

use std::collections::BTreeMap;

use eventwright_cli::model::ir::{Broker, ReadStore, Stores, WriteStore};
use serde_json::{Value, json};
use support::sse::Watching;
use support::{
    Projector, Service, build_service, generate, kafka_settings, scratch_cassandra,
    scratch_postgres, with_role,
};

const MEMBERS: usize = 6;
const BOOKS: usize = 8;
const ROUNDS: usize = 5;
/// The member whose loans a client watches.
const WATCHED: usize = 1;

#[test]
fn a_projection_over_two_aggregates_ends_as_the_fold_of_both_logs() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let classic = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Cassandra,
        broker: Broker::Kafka,
    };
    run_on(
        dir.path(),
        classic,
        &scratch_postgres(),
        &scratch_cassandra(),
        &kafka_settings(),
    );
    let postgres = Stores {
        write: WriteStore::Postgres,
        read: ReadStore::Postgres,
        broker: Broker::Inproc,
    };
    run_on(
        dir.path(),
        postgres,
        &scratch_postgres(),
        &scratch_postgres(),
        &[],
    );
    let sqlite = Stores {
        write: WriteStore::Sqlite,
        read: ReadStore::Sqlite,
        broker: Broker::Inproc,
    };
    let file = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    run_on(
        dir.path(),
        sqlite,
        &file("events.db"),
        &file("views.db"),
        &[],
    );
}

/// The library on `stack`, split by role with two projectors, one killed mid-stream; then every
/// `member_loans` row and `books_due` list compared with a fold of the log.
fn run_on(
    dir: &std::path::Path,
    stack: Stores,
    write_db: &str,
    read_db: &str,
    settings: &[String],
) {
    let label = format!("{:?}-{:?}-{:?}", stack.write, stack.read, stack.broker).to_lowercase();
    let project = dir.join(format!("library-{label}"));
    generate("examples/library.yaml", &project, Some(stack));
    let binary = build_service(&project, "library", dir.join(format!("service-{label}")));

    let commands = Service::start_with(&binary, write_db, read_db, &with_role("command", settings));
    let queries = Service::start_with(&binary, write_db, read_db, &with_role("query", settings));
    let mut first = Projector::start(&binary, write_db, read_db, settings);
    let _second = Projector::start(&binary, write_db, read_db, settings);

    let watch_path = format!("/loans-of-member/{}/watch", member(WATCHED));
    let mut watcher = Watcher::default();
    let mut watching = Watching::open(&queries.base, &watch_path, None);
    let post = |path: String, body: Value| {
        let (status, reply) = commands.call("POST", &path, Some(&body));
        assert_eq!(status, 200, "{path}: {reply}");
    };
    for m in 0..MEMBERS {
        post(
            format!("/members/{}/join-library", member(m)),
            json!({ "name": format!("Member {m}") }),
        );
    }
    for b in 0..BOOKS {
        post(
            format!("/books/{}/register-book", book(b)),
            json!({ "isbn": format!("978-{b}"), "title": format!("Book {b}") }),
        );
    }
    // Each round lends every book to a member and returns all but the last round's, so each
    // member ends with loans outstanding; one member is suspended halfway through.
    for round in 0..ROUNDS {
        if round == ROUNDS / 2 {
            // The client hangs up, and opens the watch again after what it received.
            watcher.take_all(&watching);
            drop(watching);
            watching = Watching::open(&queries.base, &watch_path, watcher.last_id.as_deref());
            first.kill();
            post(format!("/members/{}/suspend-member", member(0)), json!({}));
        }
        for b in 0..BOOKS {
            // Member 0 borrows nothing once suspended; the lends skip to the next member.
            let mut m = (b + round) % MEMBERS;
            if round >= ROUNDS / 2 && m == 0 {
                m = 1 + b % (MEMBERS - 1);
            }
            if round >= ROUNDS / 2 {
                post(
                    format!("/members/{}/rename-member", member(m)),
                    json!({ "name": format!("Member {m} in round {round}, book {b}") }),
                );
            }
            let borrower = json!({ "member_id": member(m) });
            let (status, reply) = commands.call(
                "POST",
                &format!("/books/{}/lend-book", book(b)),
                Some(&borrower),
            );
            if status == 409 && reply["code"] == "too_many_loans" {
                continue;
            }
            assert_eq!(status, 200, "{reply}");
            if round + 1 < ROUNDS {
                post(format!("/books/{}/return-book", book(b)), borrower);
            }
        }
    }

    let events = stored_events(write_db);
    // The copies, checked before another projector shares the partitions.
    let (active, returned) = active_loans(&events);
    for (book, row) in &active {
        let found = queries.wait_for(&format!("/active-loan/{book}"), |status, found| {
            status == 200 && same_fields(found, row) == *row
        });
        assert_eq!(same_fields(&found, row), *row, "{book} on {label}");
    }
    for book in &returned {
        queries.wait_for(&format!("/active-loan/{book}"), |status, _| status == 404);
    }
    let watched: BTreeMap<String, Value> = active
        .iter()
        .filter(|(_, row)| row["member_id"] == json!(member(WATCHED)))
        .map(|(book, row)| (book.clone(), row.clone()))
        .collect();
    watcher.until_holding(&watching, &watched, &label);
    let _restarted = Projector::start(&binary, write_db, read_db, settings);
    let expected = fold(&events);
    assert_eq!(expected.len(), MEMBERS);
    for (id, row) in &expected {
        let found = queries.wait_for(&format!("/member-loans/{id}"), |status, found| {
            status == 200 && same_fields(found, row) == *row
        });
        assert_eq!(same_fields(&found, row), *row);
    }
    let lent = books_lent(&events);
    for m in 0..MEMBERS {
        let want = lent.get(&member(m)).cloned().unwrap_or_default();
        queries.wait_for(
            &format!("/books-due/{}?limit=50", member(m)),
            |status, page| status == 200 && page_ids(page) == want,
        );
        // Two at a time, following the cursors: the same books, in the same order.
        let mut got = Vec::new();
        let mut cursor = String::new();
        loop {
            let (status, page) = queries.call(
                "GET",
                &format!("/books-due/{}?limit=2{cursor}", member(m)),
                None,
            );
            assert_eq!(status, 200, "{page}");
            got.extend(page_ids(&page));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(got, want, "{} on {label}", member(m));
    }
}

/// What a client watching a list holds: each row by key, from the messages it took.
#[derive(Default)]
struct Watcher {
    rows: BTreeMap<String, Value>,
    last_id: Option<String>,
    ids: std::collections::HashSet<String>,
}

impl Watcher {
    fn take(&mut self, message: support::sse::Message) {
        assert!(
            ["snapshot", "changes"].contains(&message.event.as_str()),
            "{message:?}"
        );
        let id = message.id.expect("every message has an id");
        assert!(self.ids.insert(id.clone()), "id {id} came twice");
        self.last_id = Some(id);
        for key in message.data["gone"].as_array().expect("gone keys") {
            self.rows.remove(key.as_str().expect("a book id"));
        }
        for row in message.data["rows"].as_array().expect("rows") {
            let book = row["book_id"].as_str().expect("a book id").to_owned();
            self.rows.insert(book, row.clone());
        }
    }

    /// Takes every message already received.
    fn take_all(&mut self, watching: &Watching) {
        while let Some(message) = watching.next(std::time::Duration::from_millis(200)) {
            self.take(message);
        }
    }

    /// Takes messages until the rows held are `expected`, failing after thirty seconds.
    fn until_holding(&mut self, watching: &Watching, expected: &BTreeMap<String, Value>, on: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let held = |rows: &BTreeMap<String, Value>| -> BTreeMap<String, Value> {
            rows.iter()
                .map(|(book, row)| {
                    (
                        book.clone(),
                        same_fields(row, &expected.get(book).cloned().unwrap_or(json!({}))),
                    )
                })
                .collect()
        };
        while held(&self.rows) != *expected {
            assert!(
                std::time::Instant::now() < deadline,
                "the watch on {on} holds {:?}, not {expected:?}",
                self.rows
            );
            if let Some(message) = watching.next(std::time::Duration::from_millis(500)) {
                self.take(message);
            }
        }
    }
}

/// What `active_loans` must hold, by book, and the books lent once and returned since: each
/// book out with its borrower, the borrower's last name and the book's title, folded from the
/// log.
fn active_loans(events: &[(String, String, Value)]) -> (BTreeMap<String, Value>, Vec<String>) {
    let (mut names, mut titles) = (BTreeMap::new(), BTreeMap::new());
    let mut out: BTreeMap<String, (String, Value)> = BTreeMap::new();
    let mut returned = Vec::new();
    for (id, kind, payload) in events {
        match kind.as_str() {
            "MemberJoined" | "MemberRenamed" => {
                names.insert(id.clone(), payload["name"].clone());
            }
            "BookRegistered" => {
                titles.insert(id.clone(), payload["title"].clone());
            }
            "BookLent" => {
                let member = payload["member_id"].as_str().expect("a member").to_owned();
                out.insert(id.clone(), (member, payload["due_on"].clone()));
                returned.retain(|book| book != id);
            }
            "BookReturned" => {
                out.remove(id);
                returned.push(id.clone());
            }
            _ => {}
        }
    }
    let rows = out
        .into_iter()
        .map(|(book, (member, due_on))| {
            let row = json!({
                "book_id": book,
                "member_id": member,
                "member_name": names[&member],
                "title": titles[&book],
                "due_on": due_on,
            });
            (book, row)
        })
        .collect();
    (rows, returned)
}

/// The books each member has out, in `books_due` order (due date, then book id), folded from
/// the log: a lend puts the book with its borrower, a return takes it back.
fn books_lent(events: &[(String, String, Value)]) -> BTreeMap<String, Vec<String>> {
    let mut holder: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (book, kind, payload) in events {
        match kind.as_str() {
            "BookLent" => {
                let member = payload["member_id"].as_str().expect("a member").to_owned();
                let due = payload["due_on"].as_str().expect("a due date").to_owned();
                holder.insert(book.clone(), (member, due));
            }
            "BookReturned" => {
                holder.remove(book);
            }
            _ => {}
        }
    }
    let mut lent: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (book, (member, due)) in holder {
        lent.entry(member).or_default().push((due, book));
    }
    lent.into_iter()
        .map(|(member, mut books)| {
            books.sort();
            (member, books.into_iter().map(|(_, book)| book).collect())
        })
        .collect()
}

fn page_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|row| row["book_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn member(m: usize) -> String {
    format!("member-{m}")
}

fn book(b: usize) -> String {
    format!("book-{b}")
}

/// Every event in the write store, in the log's order: (aggregate id, type, payload).
fn stored_events(url: &str) -> Vec<(String, String, Value)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rows: Vec<(String, String, String)> = runtime.block_on(async {
        if url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query_as(
                "SELECT aggregate_id, event_type, payload FROM eventwright_events \
                 ORDER BY position",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        } else {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query_as(
                "SELECT aggregate_id, event_type, payload::text FROM eventwright_events \
                 ORDER BY position",
            )
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    });
    rows.into_iter()
        .map(|(id, kind, payload)| (id, kind, serde_json::from_str(&payload).unwrap()))
        .collect()
}

/// What `member_loans` must hold for these events, by member id: the member's name and
/// suspension from its own events, its loans counted from the books'.
fn fold(events: &[(String, String, Value)]) -> BTreeMap<String, Value> {
    let mut rows: BTreeMap<String, Value> = BTreeMap::new();
    for (id, kind, payload) in events {
        let key = match kind.as_str() {
            "MemberJoined" | "MemberRenamed" | "MemberSuspended" => id.as_str(),
            "BookLent" | "BookReturned" => payload["member_id"].as_str().expect("a member id"),
            _ => continue,
        };
        let row = rows.entry(key.to_owned()).or_insert_with(
            || json!({ "member_id": key, "name": "", "suspended": false, "loans": 0 }),
        );
        let loans = row["loans"].as_i64().expect("a count");
        match kind.as_str() {
            "MemberJoined" | "MemberRenamed" => row["name"] = payload["name"].clone(),
            "MemberSuspended" => row["suspended"] = json!(true),
            "BookLent" => row["loans"] = json!(loans + 1),
            _ => row["loans"] = json!(loans - 1),
        }
    }
    rows
}

/// The fields of `found` that `expected` has: what the projection's row holds.
fn same_fields(found: &Value, expected: &Value) -> Value {
    let fields = expected.as_object().expect("a row");
    fields
        .keys()
        .map(|field| (field.clone(), found[field].clone()))
        .collect()
}
