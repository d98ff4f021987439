//! The bank-account domain, written by hand with eventwright's derives and no CLI: open an
//! account, deposit, withdraw, write a check; an overdraft is refused.

use eventwright::{Aggregate, Apply, Command, Event, Handle, Rejection};
use serde::{Deserialize, Serialize};

/// One account's state, rebuilt from its events.
#[derive(Debug, Clone, Default, PartialEq, Aggregate)]
#[aggregate(id = String, event = AccountEvent)]
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
    fn handle(&self, command: &OpenAccount) -> Result<Vec<AccountEvent>, Rejection> {
        Ok(vec![
            AccountOpened {
                owner: command.owner.clone(),
            }
            .into(),
        ])
    }
}

impl Handle<Deposit> for Account {
    fn handle(&self, command: &Deposit) -> Result<Vec<AccountEvent>, Rejection> {
        Ok(vec![
            MoneyDeposited {
                amount: command.amount,
            }
            .into(),
        ])
    }
}

impl Account {
    fn ensure_covers(&self, amount: i64) -> Result<(), Rejection> {
        if amount > self.balance {
            return Err(Rejection::guard(format!(
                "insufficient funds: balance {} is below {amount}",
                self.balance
            )));
        }
        Ok(())
    }
}

impl Handle<Withdraw> for Account {
    fn handle(&self, command: &Withdraw) -> Result<Vec<AccountEvent>, Rejection> {
        self.ensure_covers(command.amount)?;
        Ok(vec![
            MoneyWithdrawn {
                amount: command.amount,
            }
            .into(),
        ])
    }
}

impl Handle<WriteCheck> for Account {
    fn handle(&self, command: &WriteCheck) -> Result<Vec<AccountEvent>, Rejection> {
        self.ensure_covers(command.amount)?;
        Ok(vec![
            CheckWritten {
                check_number: command.check_number.clone(),
                amount: command.amount,
            }
            .into(),
        ])
    }
}
