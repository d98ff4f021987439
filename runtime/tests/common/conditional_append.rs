//! Decisions over several aggregates, run by each adapter's test binary against its own store:
//! transfers between accounts that conserve money under contention, withdrawals under a shared
//! limit that never overdraw it (no write skew), unique values that exactly one claimant wins,
//! and conditions that fail leaving nothing written.
//!
//! Every check folds the stored events itself, independently of the code under test.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eventwright::store::{
    ConditionalAppend, EventStore, NewState, Snapshot, StoreError, StreamVersion, UniqueValue,
};
use eventwright::{EventEnvelope, Metadata, NewEvent};
use serde_json::{Value, json};

const ACCOUNT: &str = "Account";
const BOOK: &str = "Book";

fn event(aggregate_type: &str, id: &str, sequence: u64, kind: &str, payload: Value) -> NewEvent {
    NewEvent {
        event_id: uuid::Uuid::now_v7(),
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: id.to_owned(),
        sequence,
        event_type: kind.to_owned(),
        event_version: 1,
        timestamp: chrono::Utc::now(),
        metadata: Metadata::default(),
        payload,
        tags: Vec::new(),
    }
}

fn read(aggregate_type: &str, id: &str, version: u64) -> StreamVersion {
    StreamVersion {
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: id.to_owned(),
        version,
    }
}

fn isbn(value: &str, book: &str) -> UniqueValue {
    UniqueValue {
        scope: "Book.isbn".to_owned(),
        value: value.to_owned(),
        aggregate_type: BOOK.to_owned(),
        aggregate_id: book.to_owned(),
    }
}

/// An account's balance change in an event: `amount` on `Credited`, minus it on `Debited`.
pub fn delta(envelope: &EventEnvelope) -> i64 {
    let amount = envelope.payload["amount"].as_i64().expect("an amount");
    match envelope.event_type.as_str() {
        "Debited" => -amount,
        _ => amount,
    }
}

/// An account's balance and version, folded from its events.
async fn account(store: &dyn EventStore, id: &str) -> (i64, u64) {
    let events = store.load(ACCOUNT, id, 0).await.unwrap();
    let version = events.last().map_or(0, |event| event.sequence);
    (events.iter().map(delta).sum(), version)
}

/// Every event of the accounts, stream by stream. (Not the log in cursor order: on PostgreSQL
/// that stops short of transactions still running anywhere on the server, such as other
/// tests'.)
pub async fn account_events(store: &dyn EventStore, accounts: &[&str]) -> Vec<EventEnvelope> {
    let mut events = Vec::new();
    for id in accounts {
        events.extend(store.load(ACCOUNT, id, 0).await.unwrap());
    }
    events
}

/// Each account's balance after each of its events, folded here from the stored events;
/// asserts that every stream's sequences run 1, 2, 3, ... without a gap.
pub fn running_balances(log: &[EventEnvelope]) -> BTreeMap<String, Vec<i64>> {
    let mut streams: BTreeMap<String, Vec<&EventEnvelope>> = BTreeMap::new();
    for event in log.iter().filter(|event| event.aggregate_type == ACCOUNT) {
        streams
            .entry(event.aggregate_id.clone())
            .or_default()
            .push(event);
    }
    streams
        .into_iter()
        .map(|(id, mut events)| {
            events.sort_by_key(|event| event.sequence);
            let sequences: Vec<u64> = events.iter().map(|event| event.sequence).collect();
            let gapless: Vec<u64> = (1..=events.len() as u64).collect();
            assert_eq!(
                sequences, gapless,
                "account {id}'s stream has gaps or doubles"
            );
            let running = events
                .iter()
                .scan(0, |balance, event| {
                    *balance += delta(event);
                    Some(*balance)
                })
                .collect();
            (id, running)
        })
        .collect()
}

/// A small deterministic generator: each task draws its own sequence.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// `tasks` tasks move random amounts between 10 accounts of 100 each for `run`, each transfer
/// reading both accounts and appending to both in one step, deciding again on every conflict.
/// Afterwards, folding the log: the total is still 1,000 and no balance was ever below zero.
pub async fn transfers_conserve_money_under_contention(
    store: Arc<dyn EventStore>,
    tasks: u64,
    run: Duration,
) {
    let accounts: Vec<String> = (0..10).map(|n| format!("account-{n}")).collect();
    for id in &accounts {
        let opened = event(ACCOUNT, id, 1, "Credited", json!({ "amount": 100 }));
        store.append(vec![opened]).await.unwrap();
    }
    let deadline = Instant::now() + run;
    let workers: Vec<_> = (0..tasks)
        .map(|task| {
            let (store, accounts) = (Arc::clone(&store), accounts.clone());
            tokio::spawn(async move {
                let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (task + 1);
                let (mut committed, mut conflicts) = (0_u64, 0_u64);
                while Instant::now() < deadline {
                    let from = &accounts[(next(&mut seed) % 10) as usize];
                    let to = &accounts[(next(&mut seed) % 10) as usize];
                    if from == to {
                        continue;
                    }
                    let amount = (next(&mut seed) % 40 + 1) as i64;
                    loop {
                        let (balance, from_version) = account(&*store, from).await;
                        let (_, to_version) = account(&*store, to).await;
                        if balance < amount {
                            break;
                        }
                        let transfer = ConditionalAppend {
                            read: vec![
                                read(ACCOUNT, from, from_version),
                                read(ACCOUNT, to, to_version),
                            ],
                            events: vec![
                                event(
                                    ACCOUNT,
                                    from,
                                    from_version + 1,
                                    "Debited",
                                    json!({ "amount": amount }),
                                ),
                                event(
                                    ACCOUNT,
                                    to,
                                    to_version + 1,
                                    "Credited",
                                    json!({ "amount": amount }),
                                ),
                            ],
                            ..ConditionalAppend::default()
                        };
                        match store.append_if(transfer).await {
                            Ok(_) => {
                                committed += 1;
                                break;
                            }
                            Err(StoreError::Conflict { .. }) => conflicts += 1,
                            Err(error) => panic!("a transfer failed: {error}"),
                        }
                    }
                }
                (committed, conflicts)
            })
        })
        .collect();
    let mut committed = 0;
    for worker in workers {
        committed += worker.await.unwrap().0;
    }
    assert!(committed > 100, "only {committed} transfers committed");

    let ids: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let log = account_events(&*store, &ids).await;
    let balances = running_balances(&log);
    let total: i64 = balances
        .values()
        .map(|running| running.last().unwrap())
        .sum();
    assert_eq!(total, 1_000, "money was made or lost: {balances:?}");
    for (id, running) in &balances {
        assert!(
            running.iter().all(|balance| *balance >= 0),
            "account {id} went below zero: {running:?}"
        );
    }
    let debits = log
        .iter()
        .filter(|event| event.event_type == "Debited")
        .count() as u64;
    assert_eq!(
        debits, committed,
        "every committed transfer is in the log once"
    );
}

/// Two accounts share one limit: together they may go down to -100, no further. Each
/// withdrawal of 10 reads both accounts and appends only to its own. If two decisions could
/// each miss the other's withdrawal (write skew), the pair would end below -100; taking turns
/// on every stream read, exactly ten withdrawals commit.
pub async fn a_shared_limit_is_never_overdrawn(store: Arc<dyn EventStore>, tasks: u64) {
    let pair = ["left", "right"];
    let workers: Vec<_> = (0..tasks)
        .map(|task| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let (mine, theirs) = (pair[(task % 2) as usize], pair[(1 - task % 2) as usize]);
                let mut withdrawn = 0;
                loop {
                    let (my_balance, my_version) = account(&*store, mine).await;
                    let (their_balance, their_version) = account(&*store, theirs).await;
                    if my_balance + their_balance - 10 < -100 {
                        return withdrawn;
                    }
                    let withdrawal = ConditionalAppend {
                        read: vec![
                            read(ACCOUNT, mine, my_version),
                            read(ACCOUNT, theirs, their_version),
                        ],
                        events: vec![event(
                            ACCOUNT,
                            mine,
                            my_version + 1,
                            "Debited",
                            json!({ "amount": 10 }),
                        )],
                        ..ConditionalAppend::default()
                    };
                    match store.append_if(withdrawal).await {
                        Ok(_) => withdrawn += 1,
                        Err(StoreError::Conflict { .. }) => {}
                        Err(error) => panic!("a withdrawal failed: {error}"),
                    }
                }
            })
        })
        .collect();
    let mut withdrawn = 0;
    for worker in workers {
        withdrawn += worker.await.unwrap();
    }
    let balances = running_balances(&account_events(&*store, &pair).await);
    let total: i64 = balances
        .values()
        .map(|running| running.last().unwrap())
        .sum();
    assert_eq!(total, -100, "{balances:?}");
    assert_eq!(withdrawn, 10);
}

/// Round after round, `tasks` books claim one ISBN at once: exactly one wins, and every other
/// is told who holds it. The winner's book is then withdrawn, releasing the ISBN, and a new
/// book claims it.
pub async fn exactly_one_claim_of_a_value_wins(
    store: Arc<dyn EventStore>,
    tasks: u64,
    rounds: u64,
) {
    let mut first_winner = None;
    for round in 0..rounds {
        let value = format!("978-{round:010}");
        let claims: Vec<_> = (0..tasks)
            .map(|task| {
                let (store, value) = (Arc::clone(&store), value.clone());
                tokio::spawn(async move {
                    let book = format!("book-{round}-{task}");
                    let registration = ConditionalAppend {
                        read: vec![read(BOOK, &book, 0)],
                        events: vec![event(
                            BOOK,
                            &book,
                            1,
                            "Registered",
                            json!({ "isbn": value }),
                        )],
                        claims: vec![isbn(&value, &book)],
                        ..ConditionalAppend::default()
                    };
                    (book, store.append_if(registration).await)
                })
            })
            .collect();
        let (mut winners, mut losers, mut holders) = (Vec::new(), Vec::new(), Vec::new());
        for claim in claims {
            match claim.await.unwrap() {
                (book, Ok(_)) => winners.push(book),
                (
                    book,
                    Err(StoreError::Taken {
                        scope,
                        value: taken,
                        holder_id,
                        ..
                    }),
                ) => {
                    assert_eq!(
                        (scope.as_str(), taken.as_str()),
                        ("Book.isbn", value.as_str())
                    );
                    losers.push(book);
                    holders.push(holder_id);
                }
                (_, Err(error)) => panic!("round {round}: {error}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?} all won");
        assert!(holders.iter().all(|holder| *holder == winners[0]));
        assert_eq!(store.load(BOOK, &winners[0], 0).await.unwrap().len(), 1);
        for book in &losers {
            let kept = store.load(BOOK, book, 0).await.unwrap();
            assert!(
                kept.is_empty(),
                "round {round}: {book}'s refused events were kept"
            );
        }
        first_winner.get_or_insert(winners.remove(0));
    }

    let value = "978-0000000000";
    let holder = first_winner.expect("at least one round");
    let withdrawal = ConditionalAppend {
        read: vec![read(BOOK, &holder, 1)],
        events: vec![event(BOOK, &holder, 2, "Withdrawn", json!({}))],
        releases: vec![isbn(value, &holder)],
        ..ConditionalAppend::default()
    };
    store.append_if(withdrawal).await.unwrap();
    let newcomer = ConditionalAppend {
        read: vec![read(BOOK, "newcomer", 0)],
        events: vec![event(
            BOOK,
            "newcomer",
            1,
            "Registered",
            json!({ "isbn": value }),
        )],
        claims: vec![isbn(value, "newcomer")],
        ..ConditionalAppend::default()
    };
    store.append_if(newcomer).await.unwrap();
}

/// A stream read that has moved since, or a taken value, fails the whole step: no event, no
/// claim, no state row is written. Claiming a value the aggregate already holds is no error.
pub async fn a_failed_condition_writes_nothing(store: Arc<dyn EventStore>) {
    let opened = event(ACCOUNT, "a", 1, "Credited", json!({ "amount": 5 }));
    store.append(vec![opened]).await.unwrap();
    let stale = ConditionalAppend {
        read: vec![read(ACCOUNT, "a", 0), read(BOOK, "b", 0)],
        events: vec![event(BOOK, "b", 1, "Registered", json!({ "isbn": "x" }))],
        claims: vec![isbn("x", "b")],
        ..ConditionalAppend::default()
    };
    let error = store.append_if(stale).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Conflict { aggregate_id, sequence: 1, .. } if aggregate_id == "a"),
        "{error}"
    );
    assert!(store.load(BOOK, "b", 0).await.unwrap().is_empty());

    // The value is still free: another book takes it, and may take it again.
    for _ in 0..2 {
        let version = store.load(BOOK, "c", 0).await.unwrap().len() as u64;
        let claim = ConditionalAppend {
            read: vec![read(BOOK, "c", version)],
            events: vec![event(
                BOOK,
                "c",
                version + 1,
                "Registered",
                json!({ "isbn": "x" }),
            )],
            claims: vec![isbn("x", "c")],
            ..ConditionalAppend::default()
        };
        store.append_if(claim).await.unwrap();
    }
    let taken = ConditionalAppend {
        read: vec![read(BOOK, "d", 0), read(ACCOUNT, "a", 1)],
        events: vec![
            event(BOOK, "d", 1, "Registered", json!({ "isbn": "x" })),
            event(ACCOUNT, "a", 2, "Debited", json!({ "amount": 5 })),
        ],
        claims: vec![isbn("x", "d")],
        ..ConditionalAppend::default()
    };
    let error = store.append_if(taken).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Taken { holder_type, holder_id, .. } if holder_type == BOOK && holder_id == "c"),
        "{error}"
    );
    assert_eq!(error.to_string(), "Book.isbn \"x\" is taken by Book c");
    assert!(store.load(BOOK, "d", 0).await.unwrap().is_empty());
    assert_eq!(
        account(&*store, "a").await,
        (5, 1),
        "the debit went with the claim"
    );
}

/// State-stored aggregates in a step: each row moves from the version read to its last
/// event's sequence, with the events; a stale version writes nothing.
pub async fn state_rows_move_with_their_events(store: Arc<dyn EventStore>) {
    let till = |cash: i64| NewState {
        aggregate_type: "Till".to_owned(),
        aggregate_id: "t".to_owned(),
        state: json!({ "cash": cash }),
    };
    let open = ConditionalAppend {
        read: vec![read("Till", "t", 0)],
        events: vec![event("Till", "t", 1, "Opened", json!({ "cash": 10 }))],
        states: vec![till(10)],
        ..ConditionalAppend::default()
    };
    store.append_if(open.clone()).await.unwrap();
    let sale = ConditionalAppend {
        read: vec![read("Till", "t", 1), read(ACCOUNT, "buyer", 0)],
        events: vec![
            event("Till", "t", 2, "Sold", json!({ "amount": 3 })),
            event("Till", "t", 3, "Sold", json!({ "amount": 4 })),
            event(ACCOUNT, "buyer", 1, "Debited", json!({ "amount": 7 })),
        ],
        states: vec![till(17)],
        ..ConditionalAppend::default()
    };
    store.append_if(sale.clone()).await.unwrap();
    let expected = Snapshot {
        sequence: 3,
        state: json!({ "cash": 17 }),
    };
    assert_eq!(
        store.load_state("Till", "t").await.unwrap(),
        Some(expected.clone())
    );

    for stale in [open, sale] {
        let error = store.append_if(stale).await.unwrap_err();
        assert!(matches!(error, StoreError::Conflict { .. }), "{error}");
    }
    assert_eq!(store.load_state("Till", "t").await.unwrap(), Some(expected));
    assert_eq!(store.load("Till", "t", 0).await.unwrap().len(), 3);
}

/// Decisions appended together: those sharing no stream share a transaction, one whose read
/// moved fails alone, and one sharing a stream with another goes after it (and, having read
/// the same version, conflicts).
pub async fn decisions_appended_together_fail_alone(store: Arc<dyn EventStore>) {
    for id in ["a", "b", "c", "d"] {
        let opened = event(ACCOUNT, id, 1, "Credited", json!({ "amount": 10 }));
        store.append(vec![opened]).await.unwrap();
    }
    let debit = |id: &str, read_at: u64| ConditionalAppend {
        read: vec![read(ACCOUNT, id, read_at)],
        events: vec![event(
            ACCOUNT,
            id,
            read_at + 1,
            "Debited",
            json!({ "amount": 1 }),
        )],
        ..ConditionalAppend::default()
    };
    let mut both = debit("c", 1);
    both.read.push(read(ACCOUNT, "d", 1));
    let results = store
        .append_if_many(vec![debit("a", 1), debit("b", 0), both, debit("a", 1)])
        .await;
    let outcome: Vec<&str> = results
        .iter()
        .map(|result| match result {
            Ok(_) => "ok",
            Err(StoreError::Conflict { .. }) => "conflict",
            Err(_) => "error",
        })
        .collect();
    assert_eq!(outcome, ["ok", "conflict", "ok", "conflict"]);
    let positions: Vec<u64> = results[0]
        .as_ref()
        .unwrap()
        .iter()
        .chain(results[2].as_ref().unwrap())
        .map(|e| e.position)
        .collect();
    assert_eq!(positions.len(), 2);
    for (id, version) in [("a", 2), ("b", 1), ("c", 2), ("d", 1)] {
        assert_eq!(account(&*store, id).await.1, version, "account {id}");
    }
}
