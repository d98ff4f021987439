//! Given/when/then for the bank account, then the same domain through the real dispatcher.

use std::sync::Arc;

use bank::*;
use eventwright::bus::InProcBus;
use eventwright::store::EventStore;
use eventwright::store::sqlite::{self, SqliteEventStore};
use eventwright::testing::given;
use eventwright::{DispatchError, Dispatcher, Metadata};

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
