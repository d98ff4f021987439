//! Facts: what a decision knows from a tagged slice of the log rather than from one aggregate.

use std::any::Any;

use crate::event::{DecodeError, EventEnvelope};
use crate::store::QueryRead;
use crate::tag::EventQuery;

/// A state folded from every event matching a query: the seats taken in one course, the
/// active loans of one member. A [`Decision`](super::Decision) reads it beside the aggregates
/// it reads ([`Reads::fact`](super::Reads::fact)); its events are appended only if no event
/// matching the query was appended since, so the rule the fact backs holds under any
/// concurrency, across aggregates, without a lock on any of them.
///
/// A fact is folded from the store every time a decision reads it, and the append counts its
/// events again: name it by tags narrow enough that it folds tens or hundreds of events (one
/// course, one member), not a whole history.
///
/// # `#[derive(Fact)]`
///
/// On a struct with named fields and a `Default`. The fields marked `#[fact(tag)]` say which
/// slice of the log it is: each is a tag named after the field, carried by the events it
/// folds (see `tags(...)` on [`Event`](crate::Event)); the others are the state. Keys on the
/// struct:
///
/// | key | value | default |
/// |---|---|---|
/// | `from = Book` | an aggregate whose events it folds, repeatable: `from = Book, from = Member` | required |
/// | `name` | [`NAME`](Fact::NAME) | the struct's name in snake_case |
///
/// Each `from` aggregate's events are folded with the struct's `Apply<BookEvent>` impl (the
/// aggregate's whole event type: match the kinds that matter, ignore the others). A decision
/// reads a fact by the fields holding its tags' values, each marked
/// `#[decision(fact = ActiveLoans)]` (the field named like the tag) or
/// `#[decision(fact = DoctorsDay, tag = doctor)]`, or in a hand-written
/// [`Decision::reads`](super::Decision::reads).
///
/// ```
/// use eventwright::decision::{Changes, Decide, Read};
/// use eventwright::testing::given_aggregates;
/// use eventwright::{Aggregate, Apply, Decision, DispatchError, Event, Fact, Rejection};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// pub struct Lent { pub member: String }
/// #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// pub struct Returned { pub member: String }
///
/// #[derive(Debug, PartialEq, Event)]
/// pub enum BookEvent {
///     #[event(tags(member))]
///     Lent(Lent),
///     #[event(tags(member))]
///     Returned(Returned),
/// }
///
/// # #[derive(Default, Aggregate)]
/// # #[aggregate(id = String, event = BookEvent)]
/// # pub struct Book { lent: bool }
/// # impl Apply<Lent> for Book { fn apply(&mut self, _: &Lent) { self.lent = true; } }
/// # impl Apply<Returned> for Book { fn apply(&mut self, _: &Returned) { self.lent = false; } }
/// /// Every book a member has on loan: the loans are events of many books.
/// #[derive(Default, Fact)]
/// #[fact(from = Book)]
/// pub struct ActiveLoans {
///     #[fact(tag)]
///     pub member: String,
///     pub count: u32,
/// }
///
/// impl Apply<BookEvent> for ActiveLoans {
///     fn apply(&mut self, event: &BookEvent) {
///         match event {
///             BookEvent::Lent(_) => self.count += 1,
///             BookEvent::Returned(_) => self.count -= 1,
///         }
///     }
/// }
///
/// #[derive(Decision)]
/// pub struct Lend {
///     #[decision(reads = Book)]
///     pub book: String,
///     #[decision(fact = ActiveLoans)]
///     pub member: String,
/// }
///
/// impl Decide for Lend {
///     fn decide(&self, read: &Read, changes: &mut Changes) -> Result<(), DispatchError> {
///         if read.existing::<Book>(&self.book)?.lent {
///             return Err(Rejection::guard("the book is on loan").into());
///         }
///         if read.fact::<ActiveLoans>()?.count >= 2 {
///             return Err(Rejection::guard("two books on loan already").into());
///         }
///         changes.emit::<Book>(&self.book, Lent { member: self.member.clone() });
///         Ok(())
///     }
/// }
///
/// let lent = |member: &str| BookEvent::from(Lent { member: member.into() });
/// let lend = |book: &str| Lend { book: book.into(), member: "ann".into() };
/// given_aggregates()
///     .aggregate::<Book>("b1", [lent("ann")])
///     .aggregate::<Book>("b2", [lent("bob")])
///     .aggregate::<Book>("b3", [Returned { member: "bob".into() }.into()])
///     .when(lend("b3"))
///     .then_expect_events::<Book>("b3", [Lent { member: "ann".into() }]);
/// given_aggregates()
///     .aggregate::<Book>("b1", [lent("ann")])
///     .aggregate::<Book>("b2", [lent("ann")])
///     .aggregate::<Book>("b3", [Returned { member: "bob".into() }.into()])
///     .when(lend("b3"))
///     .then_expect_refusal("two books on loan already");
/// ```
pub trait Fact: Send + Sync + 'static {
    /// The fact's name, in errors and logs.
    const NAME: &'static str;

    /// The events it is folded from.
    fn query(&self) -> EventQuery;

    /// Folds one event matching the query, in log order.
    fn fold(&mut self, event: &EventEnvelope) -> Result<(), DecodeError>;
}

/// A fact built from the values of its tags: what lets a decision's fields read it.
///
/// `#[derive(Fact)]` implements it with a struct holding exactly the fact's tag fields, so a
/// decision that names its tags (`#[decision(fact = DoctorsDay, tag = doctor)]` on each field
/// holding one) fails to compile when it misses one or names one the fact does not have.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read by the fields of a decision",
    label = "read by this field",
    note = "derive `Fact` for `{Self}`, or read it in a hand-written `Decision::reads`: `reads.fact({Self} {{ .. }})`"
)]
pub trait KeyedFact: Fact + Sized {
    /// The fact's tags, each a field named after the fact's tag field.
    type Tags;

    /// The fact, before any event, for these tag values.
    fn from_tags(tags: Self::Tags) -> Self;
}

/// One fact as read, its type erased so that a decision can read several types.
pub(crate) struct FactRead {
    pub(crate) name: &'static str,
    pub(crate) state: Box<dyn Any + Send + Sync>,
    pub(crate) read: QueryRead,
}

impl FactRead {
    /// `fact` folded from `events`, the events matching its query, in log order.
    pub(crate) fn fold<F: Fact>(
        mut fact: F,
        events: &[EventEnvelope],
    ) -> Result<Self, DecodeError> {
        let query = fact.query();
        for event in events {
            fact.fold(event)?;
        }
        Ok(Self {
            name: F::NAME,
            state: Box::new(fact),
            read: QueryRead {
                query,
                matched: events.len() as u64,
            },
        })
    }
}
