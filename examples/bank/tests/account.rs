//! Given/when/then for the bank account, then the same domain through the real dispatcher, and
//! its projections caught up into a real SQLite read store.

use std::sync::Arc;

use bank::*;
use eventwright::bus::InProcBus;
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
fn a_withdrawal_within_the_balance_is_recorded() {
    given::<Account>([opened(), MoneyDeposited { amount: 500 }.into()])
        .when(Withdraw {
            account_id: "a-1".into(),
            amount: 200,
        })
        .then_expect_events([MoneyWithdrawn { amount: 200 }]);
}

#[test]
fn an_overdraft_is_refused() {
    given::<Account>([opened(), MoneyDeposited { amount: 100 }.into()])
        .when(Withdraw {
            account_id: "a-1".into(),
            amount: 101,
        })
        .then_expect_refusal("insufficient funds: balance 100 is below 101");
}

#[test]
fn a_check_beyond_the_balance_is_refused() {
    given::<Account>([
        opened(),
        MoneyDeposited { amount: 100 }.into(),
        MoneyWithdrawn { amount: 60 }.into(),
    ])
    .when(WriteCheck {
        account_id: "a-1".into(),
        check_number: "1001".into(),
        amount: 50,
    })
    .then_expect_refusal("insufficient funds: balance 40 is below 50");
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
    );
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
    let dispatcher = Dispatcher::new(Arc::clone(&events), bus.clone());
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
        json!({ "type": "write_check", "account_id": "a-1", "check_number": "1001", "amount": 300 }),
        json!({ "type": "open_account", "account_id": "a-2", "owner": "Grace" }),
        json!({ "type": "deposit", "account_id": "a-2", "amount": 40 }),
    ] {
        send(&dispatcher, command).await.unwrap();
    }
    let overdraft =
        json!({ "type": "write_check", "account_id": "a-2", "check_number": "7", "amount": 41 });
    assert!(matches!(
        send(&dispatcher, overdraft).await,
        Err(DispatchError::Rejected(_))
    ));

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
