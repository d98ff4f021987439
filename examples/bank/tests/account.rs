//! Given/when/then for the bank account, then the same domain through the real dispatcher, and
//! its projections caught up into a real SQLite read store.

use std::sync::Arc;

use bank::*;
use chrono::{DateTime, NaiveDate, Utc};
use eventwright::bus::InProcBus;
use eventwright::clock::ManualClock;
use eventwright::store::sqlite::{self, SqliteEventStore, SqliteReadStore};
use eventwright::store::{EventStore, ReadStore};
use eventwright::testing::given;
use eventwright::{
    Commands, DispatchError, Dispatcher, Metadata, PageRequest, ProjectionEngine, ReadModels,
};
use serde_json::json;

fn opened() -> AccountEvent {
    AccountOpened {
        owner: "Ada".to_owned(),
    }
    .into()
}

/// The tests' today.
fn now() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// Ada may go 50 below zero.
fn credit_desk() -> CreditDesk {
    CreditDesk::default().with_limit("Ada", 50)
}

fn check(amount: i64, dated: &str) -> WriteCheck {
    WriteCheck {
        account_id: "a-1".into(),
        check_number: "1001".into(),
        amount,
        dated: date(dated),
    }
}

#[test]
fn opening_records_the_owner() {
    given::<Account>([])
        .when(OpenAccount {
            account_id: "a-1".into(),
            owner: "Ada".into(),
        })
        .then_expect_events([AccountOpened {
            owner: "Ada".into(),
        }]);
}

#[test]
fn a_deposit_is_recorded() {
    given::<Account>([opened()])
        .when(Deposit {
            account_id: "a-1".into(),
            amount: 500,
        })
        .then_expect_events([MoneyDeposited { amount: 500 }]);
}

#[test]
fn a_withdrawal_within_the_overdraft_limit_is_recorded() {
    let account = given::<Account>([opened(), MoneyDeposited { amount: 500 }.into()])
        .with_services(credit_desk())
        .when(Withdraw {
            account_id: "a-1".into(),
            amount: 550,
        })
        .then_expect_events([MoneyWithdrawn { amount: 550 }]);
    assert_eq!(account.balance, -50, "the state the events lead to");
}

#[test]
fn an_overdraft_beyond_the_limit_is_refused_with_its_reason() {
    given::<Account>([opened(), MoneyDeposited { amount: 100 }.into()])
        .with_services(credit_desk())
        .when(Withdraw {
            account_id: "a-1".into(),
            amount: 151,
        })
        .then_expect_rejection(AccountRejection::InsufficientFunds {
            balance: 100,
            limit: 50,
            amount: 151,
        });
}

#[test]
fn a_check_beyond_the_balance_and_limit_is_refused() {
    let rejection = given::<Account>([
        opened(),
        MoneyDeposited { amount: 100 }.into(),
        MoneyWithdrawn { amount: 60 }.into(),
    ])
    .with_services(credit_desk())
    .at(now())
    .when(check(91, "2026-03-01"))
    .then_expect_rejection_code("insufficient_funds");
    assert_eq!(rejection.field(), Some("amount"));
    assert_eq!(
        rejection.message(),
        "91 is more than the balance of 40 and the overdraft limit of 50"
    );
}

#[test]
fn a_check_is_dated_within_six_months_before_today() {
    let funded = || {
        given::<Account>([opened(), MoneyDeposited { amount: 100 }.into()])
            .with_services(credit_desk())
            .at(now())
    };
    funded()
        .when(check(10, "2025-09-01"))
        .then_expect_events([CheckWritten {
            check_number: "1001".into(),
            amount: 10,
            dated: date("2025-09-01"),
        }]);
    funded()
        .when(check(10, "2025-08-30"))
        .then_expect_rejection(AccountRejection::StaleCheck {
            check_number: "1001".into(),
            dated: date("2025-08-30"),
        });
    funded()
        .when(check(10, "2026-03-03"))
        .then_expect_rejection(AccountRejection::PostDatedCheck {
            check_number: "1001".into(),
            dated: date("2026-03-03"),
        });
}

#[test]
fn a_non_positive_amount_fails_validation_naming_the_field() {
    let error = given::<Account>([opened()])
        .when(Deposit {
            account_id: "a-1".into(),
            amount: 0,
        })
        .then_expect_error();
    let DispatchError::Invalid(errors) = error else {
        panic!("expected a validation error, got {error}")
    };
    assert_eq!(errors.first_field(), Some("amount"));
}

#[test]
fn commands_on_an_unopened_account_are_not_found() {
    let error = given::<Account>([])
        .when(Deposit {
            account_id: "a-1".into(),
            amount: 5,
        })
        .then_expect_error();
    assert!(matches!(error, DispatchError::NotFound { .. }), "{error}");
}

#[tokio::test]
async fn the_dispatcher_stores_events_under_their_stable_names() {
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::new(
        sqlite::connect("sqlite::memory:").await.unwrap(),
    ));
    store.prepare().await.unwrap();
    let dispatcher = Dispatcher::new(
        Arc::clone(&store),
        Arc::new(InProcBus::new(Arc::clone(&store))),
    )
    .with_services(credit_desk());
    dispatcher
        .dispatch(
            OpenAccount {
                account_id: "a-1".into(),
                owner: "Ada".into(),
            },
            Metadata::default(),
        )
        .await
        .unwrap();
    let committed = dispatcher
        .dispatch(
            Deposit {
                account_id: "a-1".into(),
                amount: 250,
            },
            Metadata::default(),
        )
        .await
        .unwrap();
    assert_eq!(committed.version, 2);

    let stored = store.load("Account", "a-1", 0).await.unwrap();
    let names: Vec<_> = stored
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    assert_eq!(names, ["account-opened", "money-deposited"]);
    let (account, version) = dispatcher.load::<Account>("a-1").await.unwrap();
    assert_eq!((account.balance, version), (250, 2));
}

/// An event store with a dispatcher over it, and a read store with both projections.
async fn bank() -> (Dispatcher, ProjectionEngine, ReadModels) {
    let events: Arc<dyn EventStore> = Arc::new(SqliteEventStore::new(
        sqlite::connect("sqlite::memory:").await.unwrap(),
    ));
    events.prepare().await.unwrap();
    let bus = Arc::new(InProcBus::new(Arc::clone(&events)));
    let dispatcher = Dispatcher::new(Arc::clone(&events), bus.clone())
        .with_services(credit_desk())
        .with_clock(ManualClock::at(now()));
    let read: Arc<dyn ReadStore> = Arc::new(SqliteReadStore::new(
        sqlite::connect("sqlite::memory:").await.unwrap(),
    ));
    let runner = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), bus)
        .with::<AccountBalance>()
        .with::<CheckRegister>();
    runner.prepare().await.unwrap();
    (dispatcher, runner, ReadModels::new(read))
}

/// Takes commands as one endpoint would: JSON, tagged with the command's type.
async fn send(dispatcher: &Dispatcher, command: serde_json::Value) -> Result<(), DispatchError> {
    let command: AccountCommand = serde_json::from_value(command).unwrap();
    command
        .dispatch_with(dispatcher, Metadata::default())
        .await
        .map(drop)
}

#[tokio::test]
async fn the_balance_projection_follows_every_movement() {
    let (dispatcher, runner, models) = bank().await;
    for command in [
        json!({ "type": "open_account", "account_id": "a-1", "owner": "Ada" }),
        json!({ "type": "deposit", "account_id": "a-1", "amount": 1000 }),
        json!({ "type": "withdraw", "account_id": "a-1", "amount": 250 }),
        json!({ "type": "write_check", "account_id": "a-1", "check_number": "1001", "amount": 300, "dated": "2026-02-27" }),
        json!({ "type": "open_account", "account_id": "a-2", "owner": "Grace" }),
        json!({ "type": "deposit", "account_id": "a-2", "amount": 40 }),
    ] {
        send(&dispatcher, command).await.unwrap();
    }
    let overdraft = json!({
        "type": "write_check", "account_id": "a-2", "check_number": "7", "amount": 41,
        "dated": "2026-03-02"
    });
    let Err(DispatchError::Rejected(refused)) = send(&dispatcher, overdraft).await else {
        panic!("Grace has no overdraft limit")
    };
    assert_eq!(
        refused.domain::<AccountRejection>(),
        Some(&AccountRejection::InsufficientFunds {
            balance: 40,
            limit: 0,
            amount: 41
        })
    );

    runner.catch_up().await.unwrap();

    let ada: AccountBalance = models.get(&"a-1").await.unwrap().unwrap();
    assert_eq!(
        ada,
        AccountBalance {
            account_id: "a-1".into(),
            owner: "Ada".into(),
            balance: 450,
        }
    );
    let grace: AccountBalance = models.get(&"a-2").await.unwrap().unwrap();
    assert_eq!(grace.balance, 40, "the refused check moved no money");
    let check: CheckRegister = models.get(&"1001").await.unwrap().unwrap();
    assert_eq!((check.account_id.as_str(), check.amount), ("a-1", 300));
    let checks = models
        .list::<CheckRegister>("account_id", &"a-2", &PageRequest::default())
        .await
        .unwrap();
    assert!(checks.items.is_empty());
}

#[tokio::test]
async fn catching_up_twice_changes_nothing() {
    let (dispatcher, runner, models) = bank().await;
    send(
        &dispatcher,
        json!({ "type": "open_account", "account_id": "a-1", "owner": "Ada" }),
    )
    .await
    .unwrap();
    send(
        &dispatcher,
        json!({ "type": "deposit", "account_id": "a-1", "amount": 70 }),
    )
    .await
    .unwrap();
    runner.catch_up().await.unwrap();
    runner.catch_up().await.unwrap();
    let balance: AccountBalance = models.get(&"a-1").await.unwrap().unwrap();
    assert_eq!(balance.balance, 70);
}

#[test]
fn an_enum_of_commands_names_the_command_it_holds() {
    let command = AccountCommand::from(Deposit {
        account_id: "a-1".into(),
        amount: 1,
    });
    assert_eq!(command.name(), "deposit");
}

#[test]
fn the_balance_row_follows_each_movement_and_a_check_gets_its_own_row() {
    let check_written = CheckWritten {
        check_number: "1001".into(),
        amount: 30,
        dated: date("2026-03-01"),
    };
    eventwright::testing::given_projection::<AccountBalance>()
        .event("a-1", opened())
        .event("a-1", MoneyDeposited { amount: 100 })
        .event("a-1", check_written.clone())
        .event("a-2", MoneyDeposited { amount: 5 })
        .then_expect_row(
            "a-1",
            AccountBalance {
                account_id: "a-1".into(),
                owner: "Ada".into(),
                balance: 70,
            },
        )
        .then_expect_no_row("a-2");
    eventwright::testing::given_projection::<CheckRegister>()
        .event("a-1", opened())
        .event("a-1", check_written)
        .then_expect_rows_where(
            "account_id",
            "a-1",
            [CheckRegister {
                check_number: "1001".into(),
                account_id: "a-1".into(),
                amount: 30,
            }],
        );
}
