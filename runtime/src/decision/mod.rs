//! Decisions that read several aggregates and change any of them in one atomic step.
//!
//! A [`Command`](crate::Command) sees one aggregate. Some rules see more: a book is lent only
//! if it is on the shelf *and* the member is in good standing; money leaves one account only if
//! it arrives in the other. A [`Decision`] names every aggregate it reads, by id; its [`Decide`]
//! impl decides on their states together and emits events onto any of them. The
//! [`Dispatcher`](crate::Dispatcher) appends those events only if none of the aggregates read
//! has changed since ([`EventStore::append_if`](crate::store::EventStore::append_if)), and
//! otherwise decides again on fresh state, as it does for a command's conflict. Each aggregate's
//! events continue its own sequence, so its `version` means what it always means, and the
//! aggregates' [unique values](crate::unique) are claimed and released in the same step.
//!
//! - [`Reads`]: how a decision names what it reads: aggregates by id, and [`Fact`]s
//!   (`fact.rs`), states folded from the events matching a query by types and tags;
//! - [`Read`] (`read.rs`): the states it decides on;
//! - [`Changes`] (`changes.rs`): the events it emits.

mod changes;
mod fact;
mod read;

pub use changes::Changes;
pub(crate) use fact::FactRead;
pub use fact::{Fact, KeyedFact};
pub use read::Read;
pub(crate) use read::{Loaded, Ops};

use crate::aggregate::Aggregate;
use crate::command::ValidationErrors;
use crate::dispatch::DispatchError;

/// A request whose answer depends on several aggregates: what it reads. How it decides is its
/// [`Decide`] impl.
///
/// # `#[derive(Decision)]`
///
/// On a struct with named fields. Keys of `#[decision(...)]` on the struct:
///
/// | key | value | default |
/// |---|---|---|
/// | `name` | [`NAME`](Decision::NAME), used in logs and metrics | the struct's name in snake_case |
/// | `retries` | [`RETRIES_ON_CONFLICT`](Decision::RETRIES_ON_CONFLICT) | 3 |
/// | `validate` | flag: [`validate`](Decision::validate) runs the struct's `garde::Validate` | off |
///
/// and on each field holding the id of an aggregate it reads, `#[decision(reads = Account)]`;
/// on a field holding the tag of a [`Fact`] it reads, `#[decision(fact = ActiveLoans)]` (the
/// fact's tag named like the field), `#[decision(fact = DoctorsDay, tag = doctor)]`, or, for a
/// field holding tags of several facts, `#[decision(fact(DoctorsDay, tag = doctor), fact(..))]`.
/// The derive checks that the struct implements [`Decide`].
///
/// ```
/// use eventwright::decision::{Changes, Decide, Read};
/// use eventwright::testing::given_aggregates;
/// use eventwright::{Aggregate, Apply, Decision, DispatchError, Event, Rejection};
/// use serde::{Deserialize, Serialize};
///
/// # #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// # pub struct Opened;
/// # #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// # pub struct Deposited { pub amount: i64 }
/// # #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// # pub struct Withdrawn { pub amount: i64 }
/// # #[derive(Debug, PartialEq, Event)]
/// # pub enum AccountEvent { Opened(Opened), Deposited(Deposited), Withdrawn(Withdrawn) }
/// # #[derive(Default, Aggregate)]
/// # #[aggregate(id = String, event = AccountEvent)]
/// # pub struct Account { balance: i64 }
/// # impl Apply<Opened> for Account { fn apply(&mut self, _: &Opened) {} }
/// # impl Apply<Deposited> for Account {
/// #     fn apply(&mut self, event: &Deposited) { self.balance += event.amount; }
/// # }
/// # impl Apply<Withdrawn> for Account {
/// #     fn apply(&mut self, event: &Withdrawn) { self.balance -= event.amount; }
/// # }
/// #[derive(Decision)]
/// pub struct Transfer {
///     #[decision(reads = Account)]
///     pub from: String,
///     #[decision(reads = Account)]
///     pub to: String,
///     pub amount: i64,
/// }
///
/// impl Decide for Transfer {
///     fn decide(&self, read: &Read, changes: &mut Changes) -> Result<(), DispatchError> {
///         let from = read.existing::<Account>(&self.from)?;
///         read.existing::<Account>(&self.to)?;
///         if from.balance < self.amount {
///             return Err(Rejection::guard("insufficient funds").into());
///         }
///         changes.emit::<Account>(&self.from, Withdrawn { amount: self.amount });
///         changes.emit::<Account>(&self.to, Deposited { amount: self.amount });
///         Ok(())
///     }
/// }
///
/// given_aggregates()
///     .aggregate::<Account>("a", [Opened.into(), Deposited { amount: 10 }.into()])
///     .aggregate::<Account>("b", [Opened.into()])
///     .when(Transfer { from: "a".into(), to: "b".into(), amount: 4 })
///     .then_expect_events::<Account>("a", [Withdrawn { amount: 4 }])
///     .then_expect_events::<Account>("b", [Deposited { amount: 4 }]);
/// ```
pub trait Decision: Send + Sync + 'static {
    /// The decision's name, used in logs and metrics.
    const NAME: &'static str;

    /// How many times the dispatcher decides again on fresh state after another writer changed
    /// something this decision read, before reporting the conflict.
    const RETRIES_ON_CONFLICT: u32 = 3;

    /// Checks the request's own fields, before anything is read.
    fn validate(&self) -> Result<(), ValidationErrors> {
        Ok(())
    }

    /// Names every aggregate the decision reads. An aggregate it emits onto must be among them:
    /// its events continue the sequence it was read at.
    fn reads<R: Reads>(&self, reads: &mut R);
}

/// How a [`Decision`] decides: this is where its domain logic lives, a pure function of the
/// states read, tested with [`given_aggregates`](crate::testing::given_aggregates).
#[diagnostic::on_unimplemented(
    message = "the decision `{Self}` does not say how it decides",
    label = "`{Self}` has no `impl Decide`",
    note = "add `impl eventwright::decision::Decide for {Self} {{ fn decide(&self, read: &eventwright::decision::Read, changes: &mut eventwright::decision::Changes) -> Result<(), eventwright::DispatchError> {{ .. }} }}`"
)]
pub trait Decide: Decision {
    /// Decides on the states read: emits events onto any of them, or refuses. A refusal
    /// (`Err`) commits nothing; so does emitting nothing.
    fn decide(&self, read: &Read, changes: &mut Changes) -> Result<(), DispatchError>;
}

/// Where a [`Decision`] names what it reads.
pub trait Reads {
    /// The aggregate of type `A` with this id, as it is now (empty if it does not exist).
    fn aggregate<A: Aggregate>(&mut self, id: &A::Id);

    /// `fact`, folded from every event matching its [`query`](Fact::query). The decision's
    /// events are appended only if none matching was appended since.
    fn fact<F: Fact>(&mut self, fact: F);
}
