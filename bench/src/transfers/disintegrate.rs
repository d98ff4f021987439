//! disintegrate 4 on `disintegrate-postgres`: the banking example's domain and `SendMoney`
//! decision, with its validation query, and snapshots every 10 events as the example configures
//! them. disintegrate does not retry a decision that lost a race; the caller here retries at
//! once, as the example's users would have to.

use async_trait::async_trait;
use disintegrate::serde::json::Json;
use disintegrate::{
    Decision, Event, StateMutate, StateQuery, StreamQuery, WithSnapshot, event_types, union,
};
use disintegrate_postgres::{PgDecisionMaker, PgEventStore, PgSnapshotter, WithPgSnapshot};
use eventwright::store::postgres::{self, Retry};
use serde::{Deserialize, Serialize};

use crate::{Contender, OPENING_BALANCE};

pub type AccountId = i64;

#[derive(Debug, Clone, PartialEq, Eq, Event, Serialize, Deserialize)]
#[stream(AccountStateEvent, [AccountOpened])]
#[stream(AccountBalanceEvent, [AmountDeposited, TransferSent, TransferReceived])]
pub enum DomainEvent {
    AccountOpened {
        #[id]
        account_id: AccountId,
    },
    AmountDeposited {
        #[id]
        account_id: AccountId,
        amount: i64,
    },
    TransferSent {
        #[id]
        account_id: AccountId,
        to: AccountId,
        amount: i64,
    },
    TransferReceived {
        #[id]
        account_id: AccountId,
        from: AccountId,
        amount: i64,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("account already opened")]
    AlreadyOpened,
    #[error("account not found")]
    NotFound,
    #[error("insufficient balance")]
    InsufficientBalance,
}

#[derive(Default, StateQuery, Clone, Debug, Serialize, Deserialize)]
#[state_query(AccountStateEvent)]
pub struct AccountState {
    #[id]
    account_id: AccountId,
    opened: bool,
}

impl StateMutate for AccountState {
    fn mutate(&mut self, event: Self::Event) {
        match event {
            AccountStateEvent::AccountOpened { .. } => self.opened = true,
        }
    }
}

#[derive(Default, StateQuery, Clone, Debug, Serialize, Deserialize)]
#[state_query(AccountBalanceEvent)]
pub struct AccountBalance {
    #[id]
    account_id: AccountId,
    balance: i64,
}

impl StateMutate for AccountBalance {
    fn mutate(&mut self, event: Self::Event) {
        match event {
            AccountBalanceEvent::AmountDeposited { amount, .. }
            | AccountBalanceEvent::TransferReceived { amount, .. } => self.balance += amount,
            AccountBalanceEvent::TransferSent { amount, .. } => self.balance -= amount,
        }
    }
}

fn state(account_id: AccountId) -> AccountState {
    AccountState {
        account_id,
        opened: false,
    }
}

fn balance(account_id: AccountId) -> AccountBalance {
    AccountBalance {
        account_id,
        balance: 0,
    }
}

struct OpenAccount(AccountId);

impl Decision for OpenAccount {
    type Event = DomainEvent;
    type StateQuery = AccountState;
    type Error = Refused;

    fn state_query(&self) -> AccountState {
        state(self.0)
    }

    fn process(&self, state: &AccountState) -> Result<Vec<DomainEvent>, Refused> {
        if state.opened {
            return Err(Refused::AlreadyOpened);
        }
        Ok(vec![
            DomainEvent::AccountOpened { account_id: self.0 },
            DomainEvent::AmountDeposited {
                account_id: self.0,
                amount: OPENING_BALANCE,
            },
        ])
    }
}

/// The example's `SendMoney`, without the closed-account checks the benchmark never needs.
struct SendMoney {
    account_id: AccountId,
    beneficiary_id: AccountId,
    amount: i64,
}

impl Decision for SendMoney {
    type Event = DomainEvent;
    type StateQuery = (AccountState, AccountBalance, AccountState);
    type Error = Refused;

    fn state_query(&self) -> Self::StateQuery {
        (
            state(self.account_id),
            balance(self.account_id),
            state(self.beneficiary_id),
        )
    }

    fn validation_query<ID: disintegrate::EventId>(&self) -> Option<StreamQuery<ID, DomainEvent>> {
        let (account_state, account_balance, beneficiary_state) = self.state_query();
        Some(union!(
            &account_state,
            account_balance.exclude_events(event_types!(AccountBalanceEvent, [AmountDeposited])),
            &beneficiary_state
        ))
    }

    fn process(
        &self,
        (account, balance, beneficiary): &Self::StateQuery,
    ) -> Result<Vec<DomainEvent>, Refused> {
        if !account.opened || !beneficiary.opened {
            return Err(Refused::NotFound);
        }
        if balance.balance < self.amount {
            return Err(Refused::InsufficientBalance);
        }
        Ok(vec![
            DomainEvent::TransferSent {
                account_id: self.account_id,
                to: self.beneficiary_id,
                amount: self.amount,
            },
            DomainEvent::TransferReceived {
                account_id: self.beneficiary_id,
                from: self.account_id,
                amount: self.amount,
            },
        ])
    }
}

type DecisionMaker = PgDecisionMaker<DomainEvent, Json<DomainEvent>, WithPgSnapshot>;

pub struct Disintegrate {
    decision_maker: DecisionMaker,
}

impl Disintegrate {
    pub async fn connect(url: &str, pool: u32) -> anyhow::Result<Self> {
        // disintegrate-postgres 4 writes one function with a PostgreSQL 16 literal
        // (`0xFFFFFFFF`). On an older server its body is left unchecked at creation, then the
        // function is replaced by the same body with the decimal literal.
        let scoped = format!(
            "{}%20-c%20check_function_bodies%3Doff",
            postgres::scratch_schema(url).await?
        );
        let pool = postgres::connect(&scoped, pool, Retry::default()).await?;
        let event_store =
            PgEventStore::try_new(pool.clone(), Json::<DomainEvent>::default()).await?;
        sqlx::query(BEGIN_EPOCH_FOR_POSTGRES_15)
            .execute(&pool)
            .await?;
        let snapshotter = PgSnapshotter::try_new(pool, 10).await?;
        Ok(Self {
            decision_maker: disintegrate_postgres::decision_maker(
                event_store,
                WithSnapshot::new(snapshotter),
            ),
        })
    }
}

/// disintegrate-postgres 4.0.1's `event_store_begin_epoch()` (MIT), with `0xFFFFFFFF` written
/// as `4294967295` so that PostgreSQL 15 parses it; nothing else differs.
const BEGIN_EPOCH_FOR_POSTGRES_15: &str = "\
CREATE OR REPLACE FUNCTION event_store_begin_epoch()
RETURNS void AS $$
DECLARE
    id BIGINT;
    db_id INT;
BEGIN
    SELECT last_value INTO id FROM seq_event_event_id;
    SELECT oid INTO db_id FROM pg_database WHERE datname = current_database();

    PERFORM pg_try_advisory_xact_lock_shared(db_id, 0);
    PERFORM pg_try_advisory_xact_lock_shared(1, (id & 4294967295)::bit(32)::integer);
    PERFORM pg_try_advisory_xact_lock_shared(2, (id >> 32)::bit(32)::integer);
END;
$$ LANGUAGE plpgsql;";

/// How many times a transfer that lost a race is made again before the caller gives up.
const ATTEMPTS: usize = 1000;

#[async_trait]
impl Contender for Disintegrate {
    fn name(&self) -> &'static str {
        "disintegrate-postgres 4"
    }

    async fn open(&self, accounts: usize) -> anyhow::Result<()> {
        for n in 0..accounts {
            self.decision_maker
                .make(OpenAccount(n as AccountId))
                .await?;
        }
        Ok(())
    }

    async fn transfer(&self, from: usize, to: usize) -> anyhow::Result<()> {
        let mut attempt = 0;
        loop {
            let send = SendMoney {
                account_id: from as AccountId,
                beneficiary_id: to as AccountId,
                amount: 1,
            };
            match self.decision_maker.make(send).await {
                Ok(_) => return Ok(()),
                // A concurrent append changed what the decision read: make it again.
                Err(disintegrate::DecisionError::StateStore(_)) if attempt < ATTEMPTS => {
                    attempt += 1;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
}
