//! A process making transfers between accounts until it is killed, for the test that kills it
//! with SIGKILL mid-run (`tests/tests/kill_during_transfers.rs`).
//!
//! `transfer-worker <store url> <tasks>`: opens accounts `account-0` to `account-9` with 100
//! each (those that exist already stay as they are), prints `ready`, then runs `<tasks>` tasks
//! each moving a random amount between two random accounts, forever. Every transfer reads both
//! accounts and appends to both in one decision; one refused for want of funds is skipped.

use std::sync::Arc;

use eventwright::bus::InProcBus;
use eventwright::decision::{Changes, Decide, Read};
use eventwright::store::EventStore;
use eventwright::store::postgres::{self, PostgresEventStore, Retry};
use eventwright::store::sqlite::{self, SqliteEventStore};
use eventwright::{
    Aggregate, Apply, Command, Decision, DispatchError, Dispatcher, Event, Handle, Metadata,
    Rejection,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Credited {
    amount: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Debited {
    amount: i64,
}

#[derive(Debug, Clone, Event)]
enum AccountEvent {
    Credited(Credited),
    Debited(Debited),
}

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = AccountEvent, name = "Account", snapshot_every = 10)]
struct Account {
    balance: i64,
}

impl Apply<Credited> for Account {
    fn apply(&mut self, event: &Credited) {
        self.balance += event.amount;
    }
}

impl Apply<Debited> for Account {
    fn apply(&mut self, event: &Debited) {
        self.balance -= event.amount;
    }
}

#[derive(Debug, Command)]
#[command(aggregate = Account, creates)]
struct Open {
    id: String,
}

impl Handle<Open> for Account {
    fn handle(&self, _: &Open) -> Result<Vec<AccountEvent>, Rejection> {
        Ok(vec![Credited { amount: 100 }.into()])
    }
}

#[derive(Debug, Decision)]
#[decision(retries = 1000)]
struct Transfer {
    #[decision(reads = Account)]
    from: String,
    #[decision(reads = Account)]
    to: String,
    amount: i64,
}

impl Decide for Transfer {
    fn decide(&self, read: &Read, changes: &mut Changes) -> Result<(), DispatchError> {
        let from = read.existing::<Account>(&self.from)?;
        read.existing::<Account>(&self.to)?;
        if from.balance < self.amount {
            return Err(Rejection::guard("insufficient funds").into());
        }
        changes
            .emit::<Account>(
                &self.from,
                Debited {
                    amount: self.amount,
                },
            )
            .emit::<Account>(
                &self.to,
                Credited {
                    amount: self.amount,
                },
            );
        Ok(())
    }
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: transfer-worker <store url> <tasks>")?;
    let tasks: u64 = args.next().ok_or("missing <tasks>")?.parse()?;
    let store: Arc<dyn EventStore> = if url.starts_with("sqlite:") {
        Arc::new(SqliteEventStore::new(sqlite::connect(&url).await?))
    } else {
        Arc::new(PostgresEventStore::new(
            postgres::connect(&url, 10, Retry::default()).await?,
        ))
    };
    store.prepare().await?;
    let dispatcher = Dispatcher::new(Arc::clone(&store), Arc::new(InProcBus::new(store)));
    for n in 0..10 {
        match dispatcher
            .dispatch(
                Open {
                    id: format!("account-{n}"),
                },
                Metadata::default(),
            )
            .await
        {
            Ok(_) | Err(DispatchError::AlreadyExists { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    println!("ready");
    let seed = std::process::id() as u64;
    let mut workers = tokio::task::JoinSet::new();
    for task in 0..tasks {
        let dispatcher = dispatcher.clone();
        workers.spawn(async move {
            let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (seed << 8) ^ (task + 1);
            loop {
                let from = format!("account-{}", next(&mut seed) % 10);
                let to = format!("account-{}", next(&mut seed) % 10);
                if from == to {
                    continue;
                }
                let amount = (next(&mut seed) % 40 + 1) as i64;
                let transfer = Transfer { from, to, amount };
                match dispatcher
                    .dispatch_decision(transfer, Metadata::default())
                    .await
                {
                    Ok(_) | Err(DispatchError::Rejected(_)) => {}
                    Err(error) => panic!("a transfer failed: {error}"),
                }
            }
        });
    }
    // The tasks run until the process is killed; one that fails ends it.
    if let Some(Err(error)) = workers.join_next().await {
        return Err(error.into());
    }
    Ok(())
}
