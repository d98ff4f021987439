//! The given/when/then kit for decisions over several aggregates, and unique values declared
//! with the derives: no store, the same decision code the dispatcher runs.

mod common;

use common::library::{
    Account, AccountEvent, Book, BookEvent, Credited, Debited, Donate, Donated, Joined, Lend, Lent,
    LoanRecorded, Member, MemberEvent, Registered, Suspended, Transfer,
};
use eventwright::decision::{Changes, Decide, Read, Reads};
use eventwright::testing::given_aggregates;
use eventwright::unique::UniqueValues;
use eventwright::{Aggregate, Apply, Decision, DispatchError, Event};
use serde::{Deserialize, Serialize};

fn opened(amount: i64) -> AccountEvent {
    Credited { amount }.into()
}

#[test]
fn a_transfer_debits_one_account_and_credits_the_other() {
    given_aggregates()
        .aggregate::<Account>("a", [opened(10)])
        .aggregate::<Account>("b", [opened(0)])
        .when(Transfer {
            from: "a".into(),
            to: "b".into(),
            amount: 4,
        })
        .then_expect_events::<Account>("a", [Debited { amount: 4 }])
        .then_expect_events::<Account>("b", [Credited { amount: 4 }]);
}

#[test]
fn a_transfer_is_refused_for_want_of_funds_or_of_an_account() {
    given_aggregates()
        .aggregate::<Account>("a", [opened(3)])
        .aggregate::<Account>("b", [opened(0)])
        .when(Transfer {
            from: "a".into(),
            to: "b".into(),
            amount: 4,
        })
        .then_expect_refusal("insufficient funds");
    let missing = given_aggregates()
        .aggregate::<Account>("a", [opened(10)])
        .when(Transfer {
            from: "a".into(),
            to: "nobody".into(),
            amount: 4,
        })
        .then_expect_error();
    assert!(
        matches!(&missing, DispatchError::NotFound { aggregate_type: "Account", aggregate_id } if aggregate_id == "nobody"),
        "{missing:?}"
    );
}

#[test]
fn a_loan_is_recorded_on_the_book_and_the_member() {
    let joined = |name: &str| MemberEvent::from(Joined { name: name.into() });
    let registered = BookEvent::from(Registered { isbn: "978".into() });
    given_aggregates()
        .aggregate::<Book>("dune", [registered.clone()])
        .aggregate::<Member>("ann", [joined("Ann")])
        .when(Lend {
            book: "dune".into(),
            member: "ann".into(),
        })
        .then_expect_events::<Book>(
            "dune",
            [Lent {
                member: "ann".into(),
            }],
        )
        .then_expect_events::<Member>(
            "ann",
            [LoanRecorded {
                book: "dune".into(),
            }],
        );
    given_aggregates()
        .aggregate::<Book>("dune", [registered])
        .aggregate::<Member>("bob", [joined("Bob"), Suspended {}.into()])
        .when(Lend {
            book: "dune".into(),
            member: "bob".into(),
        })
        .then_expect_refusal("the member is suspended");
}

#[test]
fn the_kit_refuses_a_claim_on_a_value_another_given_aggregate_holds() {
    let given = || {
        given_aggregates()
            .aggregate::<Book>("old", [Registered { isbn: "978".into() }.into()])
            .aggregate::<Member>("cy", [Joined { name: "Cy".into() }.into()])
    };
    let taken = given()
        .when(Donate {
            book: "new".into(),
            member: "cy".into(),
            isbn: "978".into(),
        })
        .then_expect_error();
    assert_eq!(taken.taken_field(), Some("isbn"));
    assert_eq!(taken.to_string(), "Book.isbn \"978\" is taken by Book old");
    given()
        .when(Donate {
            book: "new".into(),
            member: "cy".into(),
            isbn: "979".into(),
        })
        .then_expect_events::<Book>("new", [Registered { isbn: "979".into() }])
        .then_expect_events::<Member>("cy", [Donated { book: "new".into() }]);
}

/// A hand-written decision that emits onto an aggregate it never said it reads.
struct Sloppy;

impl Decision for Sloppy {
    const NAME: &'static str = "sloppy";
    fn reads<R: Reads>(&self, reads: &mut R) {
        reads.aggregate::<Account>(&"a".to_owned());
    }
}

impl Decide for Sloppy {
    fn decide(&self, _: &Read, changes: &mut Changes) -> Result<(), DispatchError> {
        changes.emit::<Account>(&"b".to_owned(), Credited { amount: 1 });
        Ok(())
    }
}

#[test]
fn emitting_onto_an_aggregate_not_read_is_reported_naming_it() {
    let error = given_aggregates().when(Sloppy).then_expect_error();
    assert_eq!(
        error.to_string(),
        "the decision sloppy uses Account b, which its reads do not name"
    );
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedUp {
    pub library: String,
    pub email: String,
}

#[derive(Debug, PartialEq, Event)]
pub enum PatronEvent {
    SignedUp(SignedUp),
}

/// An email is unique within a library, not across all of them.
#[derive(Debug, Default, Aggregate)]
#[aggregate(id = String, event = PatronEvent)]
pub struct Patron {
    library: String,
    #[aggregate(unique(within = library))]
    email: String,
}

impl Apply<SignedUp> for Patron {
    fn apply(&mut self, event: &SignedUp) {
        self.library.clone_from(&event.library);
        self.email.clone_from(&event.email);
    }
}

#[test]
fn the_derive_holds_each_unique_field_in_its_scope() {
    let mut patron = Patron::default();
    let mut held = UniqueValues::default();
    patron.unique_values(&mut held);
    assert_eq!(held.iter().count(), 0, "an empty state holds nothing");
    patron.apply_event(
        &SignedUp {
            library: "north".into(),
            email: "a@b".into(),
        }
        .into(),
    );
    let mut held = UniqueValues::default();
    patron.unique_values(&mut held);
    assert_eq!(
        held.iter().collect::<Vec<_>>(),
        [("Patron.email/north", "a@b")]
    );

    let mut book = Book::default();
    book.apply_event(&Registered { isbn: "978".into() }.into());
    let mut held = UniqueValues::default();
    book.unique_values(&mut held);
    assert_eq!(held.iter().collect::<Vec<_>>(), [("Book.isbn", "978")]);
}
