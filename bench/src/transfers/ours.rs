//! eventwright: an event-sourced account (snapshots every 100 events), a `Transfer` decision
//! reading both accounts, the dispatcher on the PostgreSQL event store.

use std::sync::Arc;

use async_trait::async_trait;
use eventwright::bus::InProcBus;
use eventwright::decision::{Changes, Decide, Read};
use eventwright::store::EventStore;
use eventwright::store::postgres::{self, PostgresEventStore, Retry};
use eventwright::{
    Aggregate, Apply, Command, Decision, DispatchError, Dispatcher, Event, Handle, Metadata,
    Rejection,
};
use serde::{Deserialize, Serialize};

use crate::{Contender, OPENING_BALANCE};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Opened {
    pub balance: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferSent {
    pub to: String,
    pub amount: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransferReceived {
    pub from: String,
    pub amount: i64,
}

#[derive(Debug, Clone, Event)]
pub enum AccountEvent {
    Opened(Opened),
    TransferSent(TransferSent),
    TransferReceived(TransferReceived),
}

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = AccountEvent, name = "Account", snapshot_every = 100)]
pub struct Account {
    balance: i64,
}

impl Apply<Opened> for Account {
    fn apply(&mut self, event: &Opened) {
        self.balance = event.balance;
    }
}

impl Apply<TransferSent> for Account {
    fn apply(&mut self, event: &TransferSent) {
        self.balance -= event.amount;
    }
}

impl Apply<TransferReceived> for Account {
    fn apply(&mut self, event: &TransferReceived) {
        self.balance += event.amount;
    }
}

#[derive(Debug, Command)]
#[command(aggregate = Account, creates)]
pub struct Open {
    pub id: String,
}

impl Handle<Open> for Account {
    fn handle(&self, _: &Open) -> Result<Vec<AccountEvent>, Rejection> {
        Ok(vec![
            Opened {
                balance: OPENING_BALANCE,
            }
            .into(),
        ])
    }
}

/// Retried as often as it takes: the measurement counts committed transfers.
#[derive(Debug, Decision)]
#[decision(retries = 1000)]
pub struct Transfer {
    #[decision(reads = Account)]
    pub from: String,
    #[decision(reads = Account)]
    pub to: String,
    pub amount: i64,
}

impl Decide for Transfer {
    fn decide(&self, read: &Read, changes: &mut Changes) -> Result<(), DispatchError> {
        let from = read.existing::<Account>(&self.from)?;
        read.existing::<Account>(&self.to)?;
        if from.balance < self.amount {
            return Err(Rejection::guard("insufficient funds").into());
        }
        let sent = TransferSent {
            to: self.to.clone(),
            amount: self.amount,
        };
        let received = TransferReceived {
            from: self.from.clone(),
            amount: self.amount,
        };
        changes
            .emit::<Account>(&self.from, sent)
            .emit::<Account>(&self.to, received);
        Ok(())
    }
}

pub struct Ours {
    dispatcher: Dispatcher,
}

impl Ours {
    pub async fn connect(url: &str, pool: u32) -> anyhow::Result<Self> {
        let scoped = postgres::scratch_schema(url).await?;
        let pool = postgres::connect(&scoped, pool, Retry::default()).await?;
        let events: Arc<dyn EventStore> = Arc::new(PostgresEventStore::new(pool));
        events.prepare().await?;
        let bus = Arc::new(InProcBus::new(Arc::clone(&events)));
        Ok(Self {
            dispatcher: Dispatcher::new(events, bus),
        })
    }
}

fn account(n: usize) -> String {
    format!("account-{n}")
}

#[async_trait]
impl Contender for Ours {
    fn name(&self) -> &'static str {
        "eventwright"
    }

    async fn open(&self, accounts: usize) -> anyhow::Result<()> {
        for n in 0..accounts {
            let open = Open { id: account(n) };
            self.dispatcher.dispatch(open, Metadata::default()).await?;
        }
        Ok(())
    }

    async fn transfer(&self, from: usize, to: usize) -> anyhow::Result<()> {
        let transfer = Transfer {
            from: account(from),
            to: account(to),
            amount: 1,
        };
        self.dispatcher
            .dispatch_decision(transfer, Metadata::default())
            .await?;
        Ok(())
    }
}
