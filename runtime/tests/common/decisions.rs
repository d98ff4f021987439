//! Decisions over several aggregates through the dispatcher, run by each adapter's test binary
//! against its own store: transfers that conserve money under contention with no error for any
//! caller, loans that read a book and a member, ISBNs that exactly one book holds.
//!
//! Balances are checked by folding the stored events here, independently of the library.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eventwright::bus::InProcBus;
use eventwright::store::EventStore;
use eventwright::{DispatchError, Dispatcher, Metadata};

use super::conditional_append::{account_events, running_balances};
use super::library::{
    Account, Deposit, Donate, Join, Lend, Member, Open, RegisterBook, Suspend, Transfer,
    WithdrawBook,
};

/// As many dispatchers as processes: decisions within one take turns, and the dispatchers race
/// each other in the store.
fn dispatchers(store: &Arc<dyn EventStore>, processes: usize) -> Vec<Dispatcher> {
    let bus = InProcBus::new(Arc::clone(store));
    (0..processes)
        .map(|_| Dispatcher::new(Arc::clone(store), Arc::new(bus.clone())))
        .collect()
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// `tasks` tasks over `processes` dispatchers make random transfers among 10 accounts of 100
/// each for `run`, with a deposit of 1 as every fifth request (a plain command on the same
/// accounts). No caller sees an error other than "insufficient funds"; afterwards, folding the
/// log, the total is 1,000 plus the deposits and no balance was ever below zero.
pub async fn transfers_conserve_money(
    store: Arc<dyn EventStore>,
    processes: usize,
    tasks: u64,
    run: Duration,
) {
    let dispatchers = dispatchers(&store, processes);
    let accounts: Vec<String> = (0..10).map(|n| format!("account-{n}")).collect();
    for id in &accounts {
        let open = Open {
            id: id.clone(),
            amount: 100,
        };
        dispatchers[0]
            .dispatch(open, Metadata::default())
            .await
            .unwrap();
    }
    let deadline = Instant::now() + run;
    let workers: Vec<_> = (0..tasks)
        .map(|task| {
            let dispatcher = dispatchers[task as usize % processes].clone();
            let accounts = accounts.clone();
            tokio::spawn(async move {
                let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (task + 1);
                let (mut transfers, mut deposits, mut refused) = (0_u64, 0_i64, 0_u64);
                while Instant::now() < deadline {
                    let from = accounts[(next(&mut seed) % 10) as usize].clone();
                    let to = accounts[(next(&mut seed) % 10) as usize].clone();
                    if next(&mut seed).is_multiple_of(5) {
                        let deposit = Deposit { id: to, amount: 1 };
                        dispatcher
                            .dispatch(deposit, Metadata::default())
                            .await
                            .unwrap();
                        deposits += 1;
                        continue;
                    }
                    if from == to {
                        continue;
                    }
                    let amount = (next(&mut seed) % 40 + 1) as i64;
                    let transfer = Transfer { from, to, amount };
                    match dispatcher
                        .dispatch_decision(transfer, Metadata::default())
                        .await
                    {
                        Ok(decided) => {
                            assert_eq!(decided.events.len(), 2);
                            transfers += 1;
                        }
                        Err(DispatchError::Rejected(reason))
                            if reason.message() == "insufficient funds" =>
                        {
                            refused += 1;
                        }
                        Err(error) => panic!("a caller saw an error: {error}"),
                    }
                }
                (transfers, deposits, refused)
            })
        })
        .collect();
    let (mut transfers, mut deposits) = (0, 0);
    for worker in workers {
        let (done, deposited, _) = worker.await.unwrap();
        transfers += done;
        deposits += deposited;
    }
    assert!(transfers > 100, "only {transfers} transfers committed");

    let ids: Vec<&str> = accounts.iter().map(String::as_str).collect();
    let balances = running_balances(&account_events(&*store, &ids).await);
    let total: i64 = balances
        .values()
        .map(|running| running.last().unwrap())
        .sum();
    assert_eq!(total, 1_000 + deposits, "money was created or lost");
    for (id, running) in &balances {
        let lowest = running.iter().min().unwrap();
        assert!(*lowest >= 0, "{id} went down to {lowest}");
        // What a fresh dispatcher loads (from a snapshot and the events after it) is the fold.
        let fresh = &self::dispatchers(&store, 1)[0];
        let (account, version) = fresh.load::<Account>(id).await.unwrap();
        assert_eq!(account.balance, *running.last().unwrap(), "{id}'s state");
        assert_eq!(version, running.len() as u64, "{id}'s version");
    }
}

/// A loan reads the book and the member, refuses with the reason, and appends to both.
pub async fn a_loan_reads_the_book_and_the_member(store: Arc<dyn EventStore>) {
    let dispatcher = &dispatchers(&store, 1)[0];
    let send = Metadata::default;
    for (id, name) in [("ann", "Ann"), ("bob", "Bob")] {
        let join = Join {
            id: id.into(),
            name: name.into(),
        };
        dispatcher.dispatch(join, send()).await.unwrap();
    }
    dispatcher
        .dispatch(Suspend { id: "bob".into() }, send())
        .await
        .unwrap();
    let register = RegisterBook {
        id: "dune".into(),
        isbn: "978-0441".into(),
    };
    dispatcher.dispatch(register, send()).await.unwrap();
    let lend = |book: &str, member: &str| Lend {
        book: book.into(),
        member: member.into(),
    };

    let missing = dispatcher
        .dispatch_decision(lend("nope", "ann"), send())
        .await;
    assert!(
        matches!(&missing, Err(DispatchError::NotFound { aggregate_type: "Book", aggregate_id }) if aggregate_id == "nope"),
        "{missing:?}"
    );
    let suspended = dispatcher
        .dispatch_decision(lend("dune", "bob"), send())
        .await;
    assert!(
        matches!(&suspended, Err(DispatchError::Rejected(reason)) if reason.message() == "the member is suspended"),
        "{suspended:?}"
    );

    let decided = dispatcher
        .dispatch_decision(lend("dune", "ann"), send())
        .await
        .unwrap();
    let appended: Vec<_> = decided
        .events
        .iter()
        .map(|event| {
            (
                event.aggregate_type.as_str(),
                event.aggregate_id.as_str(),
                event.sequence,
                event.event_type.as_str(),
            )
        })
        .collect();
    assert_eq!(
        appended,
        [
            ("Book", "dune", 2, "Lent"),
            ("Member", "ann", 2, "LoanRecorded")
        ]
    );
    assert_eq!(decided.version_of("Member", "ann"), Some(2));
    assert_eq!(decided.consistency_tokens().len(), 2);
    assert!(decided.events[0].position < decided.events[1].position);

    let again = dispatcher
        .dispatch_decision(lend("dune", "ann"), send())
        .await;
    assert!(
        matches!(&again, Err(DispatchError::Rejected(reason)) if reason.message() == "the book is not on the shelf"),
        "{again:?}"
    );
    // The state row moved with the event, and the member's mailbox forgot its old state: a
    // command after the decision continues from version 2.
    let (ann, version) = dispatcher.load::<Member>("ann").await.unwrap();
    assert_eq!((ann.loans, version), (vec!["dune".to_owned()], 2));
    let suspended = dispatcher
        .dispatch(Suspend { id: "ann".into() }, send())
        .await
        .unwrap();
    assert_eq!(suspended.version, 3);
}

/// `tasks` books registered at once with one ISBN, for `rounds` rounds over two dispatchers:
/// exactly one wins each time, and every other is refused naming the field and the winner.
/// A withdrawn book frees its ISBN; a decision claims one in the same step as its events.
pub async fn exactly_one_book_holds_an_isbn(
    store: Arc<dyn EventStore>,
    tasks: usize,
    rounds: usize,
) {
    let dispatchers = dispatchers(&store, 2);
    let mut first_winner = None;
    for round in 0..rounds {
        let isbn = format!("isbn-{round}");
        let claims: Vec<_> = (0..tasks)
            .map(|task| {
                let dispatcher = dispatchers[task % 2].clone();
                let register = RegisterBook {
                    id: format!("book-{round}-{task}"),
                    isbn: isbn.clone(),
                };
                tokio::spawn(
                    async move { dispatcher.dispatch(register, Metadata::default()).await },
                )
            })
            .collect();
        let mut winners = Vec::new();
        let mut refusals = Vec::new();
        for claim in claims {
            match claim.await.unwrap() {
                Ok(committed) => winners.push(committed.aggregate_id),
                Err(error @ DispatchError::Taken { .. }) => refusals.push(error),
                Err(error) => panic!("round {round}: {error}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?} all won");
        first_winner.get_or_insert_with(|| winners[0].clone());
        for refusal in refusals {
            assert_eq!(refusal.taken_field(), Some("isbn"));
            let DispatchError::Taken {
                value, holder_id, ..
            } = refusal
            else {
                unreachable!()
            };
            assert_eq!((value, &holder_id), (isbn.clone(), &winners[0]));
        }
    }

    let dispatcher = &dispatchers[0];
    let send = Metadata::default;
    let taken = RegisterBook {
        id: "late".into(),
        isbn: "isbn-0".into(),
    };
    let refused = dispatcher.dispatch(taken.clone(), send()).await;
    assert!(
        matches!(refused, Err(DispatchError::Taken { .. })),
        "{refused:?}"
    );
    let winner = first_winner.expect("at least one round");
    dispatcher
        .dispatch(WithdrawBook { id: winner }, send())
        .await
        .unwrap();
    dispatcher.dispatch(taken, send()).await.unwrap();

    dispatcher
        .dispatch(
            Join {
                id: "cy".into(),
                name: "Cy".into(),
            },
            send(),
        )
        .await
        .unwrap();
    let donate = |book: &str, isbn: &str| Donate {
        book: book.into(),
        member: "cy".into(),
        isbn: isbn.into(),
    };
    let refused = dispatcher
        .dispatch_decision(donate("gift-1", "isbn-1"), send())
        .await;
    assert!(
        matches!(refused, Err(DispatchError::Taken { .. })),
        "{refused:?}"
    );
    assert!(
        store.load("Book", "gift-1", 0).await.unwrap().is_empty(),
        "a refused decision wrote"
    );
    let (cy, version) = dispatcher.load::<Member>("cy").await.unwrap();
    assert_eq!((cy.donations, version), (0, 1));
    let decided = dispatcher
        .dispatch_decision(donate("gift-1", "isbn-new"), send())
        .await
        .unwrap();
    assert_eq!(decided.events.len(), 2);
    let again = dispatcher
        .dispatch_decision(donate("gift-2", "isbn-new"), send())
        .await;
    assert!(
        matches!(again, Err(DispatchError::Taken { ref holder_id, .. }) if holder_id == "gift-1"),
        "{again:?}"
    );
}
