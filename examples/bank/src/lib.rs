//! The bank-account domain, written by hand with eventwright's derives and no CLI: open an
//! account, deposit, withdraw, write a check. Money may leave an account down to the owner's
//! overdraft limit, which the bank's credit desk (a service the handlers ask) knows; a check
//! dated more than six months ago, or after today (by the dispatcher's clock), is refused.
//! Refusals are the domain's own [`AccountRejection`]s. Two projections read it: each
//! account's balance, and a register of written checks.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use eventwright::{
    Aggregate, Apply, Change, Command, Context, DomainRejection, Event, EventEnvelope, Handle,
    HandleWith, Project, Projection,
};
use serde::{Deserialize, Serialize};

/// What the bank asks while deciding: each owner's overdraft limit, from its credit desk.
#[derive(Debug, Clone, Default)]
pub struct CreditDesk {
    /// In cents, by owner; owners not listed have none.
    limits: HashMap<String, i64>,
}

impl CreditDesk {
    pub fn with_limit(mut self, owner: impl Into<String>, cents: i64) -> Self {
        self.limits.insert(owner.into(), cents);
        self
    }

    /// The owner's overdraft limit. Another system answers it in a real bank, so the handler
    /// awaits it.
    pub async fn overdraft_limit(&self, owner: &str) -> i64 {
        self.limits.get(owner).copied().unwrap_or(0)
    }
}

/// Why the bank refuses a command: each reason with the code clients match on.
#[derive(Debug, Clone, PartialEq, thiserror::Error, DomainRejection)]
pub enum AccountRejection {
    #[error("{amount} is more than the balance of {balance} and the overdraft limit of {limit}")]
    #[rejection(code = "insufficient_funds", field = "amount")]
    InsufficientFunds {
        balance: i64,
        limit: i64,
        amount: i64,
    },
    #[error("check {check_number} is dated {dated}, more than six months ago")]
    #[rejection(code = "stale_check", field = "dated")]
    StaleCheck {
        check_number: String,
        dated: NaiveDate,
    },
    #[error("check {check_number} is dated {dated}, after today")]
    #[rejection(code = "post_dated_check", field = "dated", invalid)]
    PostDatedCheck {
        check_number: String,
        dated: NaiveDate,
    },
}

/// One account's state, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Aggregate)]
#[aggregate(
    id = String,
    event = AccountEvent,
    command = AccountCommand,
    services = CreditDesk,
    rejection = AccountRejection
)]
pub struct Account {
    pub owner: String,
    /// In cents, so arithmetic stays exact.
    pub balance: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, garde::Validate, Command)]
#[command(aggregate = Account, creates, validate)]
pub struct OpenAccount {
    #[command(id)]
    #[garde(length(min = 1))]
    pub account_id: String,
    #[garde(length(chars, min = 1, max = 100))]
    pub owner: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, garde::Validate, Command)]
#[command(aggregate = Account, validate)]
pub struct Deposit {
    #[command(id)]
    #[garde(skip)]
    pub account_id: String,
    #[garde(range(min = 1))]
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, garde::Validate, Command)]
#[command(aggregate = Account, validate)]
pub struct Withdraw {
    #[command(id)]
    #[garde(skip)]
    pub account_id: String,
    #[garde(range(min = 1))]
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, garde::Validate, Command)]
#[command(aggregate = Account, validate)]
pub struct WriteCheck {
    #[command(id)]
    #[garde(skip)]
    pub account_id: String,
    #[garde(length(min = 1))]
    pub check_number: String,
    #[garde(range(min = 1))]
    pub amount: i64,
    #[garde(skip)]
    pub dated: NaiveDate,
}

/// Every account command, so one endpoint or queue consumer can take any of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Command)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AccountCommand {
    OpenAccount(OpenAccount),
    Deposit(Deposit),
    Withdraw(Withdraw),
    WriteCheck(WriteCheck),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountOpened {
    pub owner: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoneyDeposited {
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoneyWithdrawn {
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckWritten {
    pub check_number: String,
    pub amount: i64,
    pub dated: NaiveDate,
}

/// Stored names are stable: renaming a Rust type does not orphan stored events.
#[derive(Debug, Clone, PartialEq, Event)]
pub enum AccountEvent {
    #[event(name = "account-opened")]
    Opened(AccountOpened),
    #[event(name = "money-deposited")]
    Deposited(MoneyDeposited),
    #[event(name = "money-withdrawn")]
    Withdrawn(MoneyWithdrawn),
    #[event(name = "check-written")]
    CheckWritten(CheckWritten),
}

impl Apply<AccountOpened> for Account {
    fn apply(&mut self, event: &AccountOpened) {
        self.owner.clone_from(&event.owner);
    }
}

impl Apply<MoneyDeposited> for Account {
    fn apply(&mut self, event: &MoneyDeposited) {
        self.balance += event.amount;
    }
}

impl Apply<MoneyWithdrawn> for Account {
    fn apply(&mut self, event: &MoneyWithdrawn) {
        self.balance -= event.amount;
    }
}

impl Apply<CheckWritten> for Account {
    fn apply(&mut self, event: &CheckWritten) {
        self.balance -= event.amount;
    }
}

impl Handle<OpenAccount> for Account {
    fn handle(&self, command: &OpenAccount) -> Result<Vec<AccountEvent>, AccountRejection> {
        Ok(vec![
            AccountOpened {
                owner: command.owner.clone(),
            }
            .into(),
        ])
    }
}

impl Handle<Deposit> for Account {
    fn handle(&self, command: &Deposit) -> Result<Vec<AccountEvent>, AccountRejection> {
        Ok(vec![
            MoneyDeposited {
                amount: command.amount,
            }
            .into(),
        ])
    }
}

impl Account {
    /// Whether `amount` may leave the account: the balance, then the owner's overdraft limit.
    async fn ensure_covers(&self, amount: i64, desk: &CreditDesk) -> Result<(), AccountRejection> {
        let limit = desk.overdraft_limit(&self.owner).await;
        if amount > self.balance + limit {
            return Err(AccountRejection::InsufficientFunds {
                balance: self.balance,
                limit,
                amount,
            });
        }
        Ok(())
    }
}

impl HandleWith<Withdraw> for Account {
    async fn handle(
        &self,
        command: &Withdraw,
        context: Context<'_, CreditDesk>,
    ) -> Result<Vec<AccountEvent>, AccountRejection> {
        self.ensure_covers(command.amount, context.services())
            .await?;
        Ok(vec![
            MoneyWithdrawn {
                amount: command.amount,
            }
            .into(),
        ])
    }
}

impl HandleWith<WriteCheck> for Account {
    async fn handle(
        &self,
        command: &WriteCheck,
        context: Context<'_, CreditDesk>,
    ) -> Result<Vec<AccountEvent>, AccountRejection> {
        let (check_number, dated) = (command.check_number.clone(), command.dated);
        let today = context.today();
        if dated > today {
            return Err(AccountRejection::PostDatedCheck {
                check_number,
                dated,
            });
        }
        if dated < today - Days::new(183) {
            return Err(AccountRejection::StaleCheck {
                check_number,
                dated,
            });
        }
        self.ensure_covers(command.amount, context.services())
            .await?;
        Ok(vec![
            CheckWritten {
                check_number,
                amount: command.amount,
                dated,
            }
            .into(),
        ])
    }
}

/// Each account's owner and balance. Every kind of account event is decided here: a kind added to
/// `AccountEvent` later fails to compile until this projection handles or ignores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = AccountEvent, key = account_id, table = "account_balances")]
pub struct AccountBalance {
    pub account_id: String,
    #[projection(index)]
    pub owner: String,
    /// In cents.
    pub balance: i64,
}

impl AccountBalance {
    /// The row with `delta` added to its balance; no row yet means nothing to change.
    fn moved(row: Option<Self>, delta: i64) -> Change<Self> {
        match row {
            Some(row) => Change::Upsert(Self {
                balance: row.balance + delta,
                ..row
            }),
            None => Change::Keep,
        }
    }
}

impl Project<AccountOpened> for AccountBalance {
    fn project(_: Option<Self>, event: &AccountOpened, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(Self {
            account_id: envelope.aggregate_id.clone(),
            owner: event.owner.clone(),
            balance: 0,
        })
    }
}

impl Project<MoneyDeposited> for AccountBalance {
    fn project(row: Option<Self>, event: &MoneyDeposited, _: &EventEnvelope) -> Change<Self> {
        Self::moved(row, event.amount)
    }
}

impl Project<MoneyWithdrawn> for AccountBalance {
    fn project(row: Option<Self>, event: &MoneyWithdrawn, _: &EventEnvelope) -> Change<Self> {
        Self::moved(row, -event.amount)
    }
}

impl Project<CheckWritten> for AccountBalance {
    fn project(row: Option<Self>, event: &CheckWritten, _: &EventEnvelope) -> Change<Self> {
        Self::moved(row, -event.amount)
    }
}

/// One row per written check, keyed by its number (numbers are issued bank-wide); the other
/// kinds are ignored on purpose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(
    event = AccountEvent,
    key = check_number,
    ignore(AccountOpened, MoneyDeposited, MoneyWithdrawn)
)]
pub struct CheckRegister {
    pub check_number: String,
    #[projection(index)]
    pub account_id: String,
    pub amount: i64,
}

impl Project<CheckWritten> for CheckRegister {
    fn key(event: &CheckWritten, _: &EventEnvelope) -> serde_json::Value {
        serde_json::Value::String(event.check_number.clone())
    }

    fn project(_: Option<Self>, event: &CheckWritten, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(Self {
            check_number: event.check_number.clone(),
            account_id: envelope.aggregate_id.clone(),
            amount: event.amount,
        })
    }
}
