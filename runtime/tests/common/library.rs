//! A bank and a lending library, written with the derives as a user would: decisions that read
//! two aggregates (a transfer, a loan, a donation), unique values (a book's ISBN), a
//! state-stored aggregate (a member) beside event-sourced ones.

use eventwright::decision::{Changes, Decide, Read};
use eventwright::{Aggregate, Apply, Command, Decision, DispatchError, Event, Handle, Rejection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credited {
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Debited {
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum AccountEvent {
    Credited(Credited),
    Debited(Debited),
}

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = AccountEvent, name = "Account", snapshot_every = 20)]
pub struct Account {
    pub balance: i64,
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

/// Opens an account with its first deposit.
#[derive(Debug, Clone, Command)]
#[command(aggregate = Account, creates)]
pub struct Open {
    pub id: String,
    pub amount: i64,
}

impl Handle<Open> for Account {
    fn handle(&self, command: &Open) -> Result<Vec<AccountEvent>, Rejection> {
        Ok(vec![
            Credited {
                amount: command.amount,
            }
            .into(),
        ])
    }
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Account, retries = 100)]
pub struct Deposit {
    pub id: String,
    pub amount: i64,
}

impl Handle<Deposit> for Account {
    fn handle(&self, command: &Deposit) -> Result<Vec<AccountEvent>, Rejection> {
        Ok(vec![
            Credited {
                amount: command.amount,
            }
            .into(),
        ])
    }
}

/// Retried as often as it takes: the tests race several dispatchers, as several processes
/// would, on ten accounts.
#[derive(Debug, Clone, Decision)]
#[decision(retries = 100)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registered {
    pub isbn: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lent {
    pub member: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Withdrawn {}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum BookEvent {
    Registered(Registered),
    Lent(Lent),
    Withdrawn(Withdrawn),
}

#[derive(Debug, Default, Aggregate)]
#[aggregate(id = String, event = BookEvent, name = "Book")]
pub struct Book {
    #[aggregate(unique)]
    pub isbn: Option<String>,
    pub lent_to: Option<String>,
    pub withdrawn: bool,
}

impl Apply<Registered> for Book {
    fn apply(&mut self, event: &Registered) {
        self.isbn = Some(event.isbn.clone());
    }
}

impl Apply<Lent> for Book {
    fn apply(&mut self, event: &Lent) {
        self.lent_to = Some(event.member.clone());
    }
}

impl Apply<Withdrawn> for Book {
    fn apply(&mut self, _: &Withdrawn) {
        // A withdrawn book frees its ISBN.
        self.isbn = None;
        self.withdrawn = true;
    }
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Book, creates)]
pub struct RegisterBook {
    pub id: String,
    pub isbn: String,
}

impl Handle<RegisterBook> for Book {
    fn handle(&self, command: &RegisterBook) -> Result<Vec<BookEvent>, Rejection> {
        Ok(vec![
            Registered {
                isbn: command.isbn.clone(),
            }
            .into(),
        ])
    }
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Book)]
pub struct WithdrawBook {
    pub id: String,
}

impl Handle<WithdrawBook> for Book {
    fn handle(&self, _: &WithdrawBook) -> Result<Vec<BookEvent>, Rejection> {
        if self.lent_to.is_some() {
            return Err(Rejection::guard("the book is on loan"));
        }
        Ok(vec![Withdrawn {}.into()])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Joined {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suspended {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoanRecorded {
    pub book: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Donated {
    pub book: String,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum MemberEvent {
    Joined(Joined),
    Suspended(Suspended),
    LoanRecorded(LoanRecorded),
    Donated(Donated),
}

/// Kept as a state row, so decisions move state rows as well as streams.
#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = MemberEvent, name = "Member", persistence = "state_stored")]
pub struct Member {
    pub name: String,
    pub suspended: bool,
    pub loans: Vec<String>,
    pub donations: u32,
}

impl Apply<Joined> for Member {
    fn apply(&mut self, event: &Joined) {
        self.name.clone_from(&event.name);
    }
}

impl Apply<Suspended> for Member {
    fn apply(&mut self, _: &Suspended) {
        self.suspended = true;
    }
}

impl Apply<LoanRecorded> for Member {
    fn apply(&mut self, event: &LoanRecorded) {
        self.loans.push(event.book.clone());
    }
}

impl Apply<Donated> for Member {
    fn apply(&mut self, _: &Donated) {
        self.donations += 1;
    }
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Member, creates)]
pub struct Join {
    pub id: String,
    pub name: String,
}

impl Handle<Join> for Member {
    fn handle(&self, command: &Join) -> Result<Vec<MemberEvent>, Rejection> {
        Ok(vec![
            Joined {
                name: command.name.clone(),
            }
            .into(),
        ])
    }
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Member)]
pub struct Suspend {
    pub id: String,
}

impl Handle<Suspend> for Member {
    fn handle(&self, _: &Suspend) -> Result<Vec<MemberEvent>, Rejection> {
        Ok(vec![Suspended {}.into()])
    }
}

/// A loan: the book must be on the shelf, the member in good standing with fewer than 3 loans.
#[derive(Debug, Clone, Decision)]
#[decision(name = "lend_book")]
pub struct Lend {
    #[decision(reads = Book)]
    pub book: String,
    #[decision(reads = Member)]
    pub member: String,
}

impl Decide for Lend {
    fn decide(&self, read: &Read, changes: &mut Changes) -> Result<(), DispatchError> {
        let book = read.existing::<Book>(&self.book)?;
        let member = read.existing::<Member>(&self.member)?;
        if book.withdrawn || book.lent_to.is_some() {
            return Err(Rejection::guard("the book is not on the shelf").into());
        }
        if member.suspended {
            return Err(Rejection::guard("the member is suspended").into());
        }
        if member.loans.len() >= 3 {
            return Err(Rejection::guard("the member has 3 loans already").into());
        }
        changes
            .emit::<Book>(
                &self.book,
                Lent {
                    member: self.member.clone(),
                },
            )
            .emit::<Member>(
                &self.member,
                LoanRecorded {
                    book: self.book.clone(),
                },
            );
        Ok(())
    }
}

/// A member donates a new book: it is registered (claiming its ISBN) and the donation counted,
/// in one step.
#[derive(Debug, Clone, Decision)]
pub struct Donate {
    #[decision(reads = Book)]
    pub book: String,
    #[decision(reads = Member)]
    pub member: String,
    pub isbn: String,
}

impl Decide for Donate {
    fn decide(&self, read: &Read, changes: &mut Changes) -> Result<(), DispatchError> {
        read.absent::<Book>(&self.book)?;
        read.existing::<Member>(&self.member)?;
        changes
            .emit::<Book>(
                &self.book,
                Registered {
                    isbn: self.isbn.clone(),
                },
            )
            .emit::<Member>(
                &self.member,
                Donated {
                    book: self.book.clone(),
                },
            );
        Ok(())
    }
}
