//! `copy:` in projection handlers: fields copied from another projection's row.

use super::*;

/// A lending library: `Cards` copies each loan's book title from `Titles` when the loan is
/// made and again when the book is retitled. `cards_on` replaces the handlers of `Cards`.
fn lending(cards_on: &str) -> String {
    format!(
        "\
version: 1
service: lending
aggregates:
  Book:
    id: book_id
    id_type: string
    state: {{ title: string }}
    commands:
      Catalogue: {{ creates: true, fields: {{ title: string }}, emits: [Catalogued] }}
      Retitle: {{ fields: {{ title: string }}, emits: [Retitled] }}
    events:
      Catalogued: {{ fields: {{ title: string }}, apply: {{ set: {{ title: title }} }} }}
      Retitled: {{ fields: {{ title: string }}, apply: {{ set: {{ title: title }} }} }}
  Loan:
    id: loan_id
    state: {{}}
    commands:
      Borrow: {{ creates: true, fields: {{ book_id: string, copies: int }}, emits: [Borrowed] }}
    events:
      Borrowed: {{ fields: {{ book_id: string, copies: int }} }}
projections:
  Titles:
    key: book_id
    fields: {{ book_id: string, title: string, loans: int }}
    on:
      Catalogued: {{ set: {{ title: title }} }}
      Retitled: {{ set: {{ title: title }} }}
      Borrowed: {{ key: book_id, increment: {{ loans: 1 }} }}
  Cards:
    key: loan_id
    fields: {{ loan_id: uuid, book_id: string, title: string, shown: string?, loans: int }}
    on:
{cards_on}"
    )
}

const COPIED: &str = "      Borrowed:
        set: { book_id: book_id }
        copy:
          - { from: Titles, key: book_id, set: { title: title, shown: title } }
      Retitled:
        where: { book_id: book_id }
        copy:
          - { from: Titles, key: book_id, set: { title: title } }
";

/// `COPIED` with its first copy's `from`, `key` and `set` as given.
fn borrowed_copies(copy: &str) -> String {
    lending(&COPIED.replace(
        "{ from: Titles, key: book_id, set: { title: title, shown: title } }",
        copy,
    ))
}

#[test]
fn a_handler_copies_fields_from_another_projections_row() {
    let model = model(&lending(COPIED));
    let cards = &model.projections[1];
    assert_eq!(cards.reads(), ["Titles"]);
    let borrowed = &cards.handlers[0].copies[0];
    assert_eq!(borrowed.from, "Titles");
    assert_eq!(
        borrowed.aggregate, "Book",
        "titles change on the book's own events"
    );
    assert!(matches!(&borrowed.key, ir::WhereValue::EventField(f) if f.name == "book_id"));
    let set: Vec<(&str, &str, bool)> = borrowed
        .set
        .iter()
        .map(|f| (f.target.name.as_str(), f.source.name.as_str(), f.wrap_some))
        .collect();
    assert_eq!(set, [("title", "title", false), ("shown", "title", true)]);
    let retitled = &cards.handlers[1].copies[0];
    assert!(matches!(&retitled.key, ir::WhereValue::AggregateId));
}

#[test]
fn a_copy_names_a_row_of_another_projection_by_a_key_of_its_type() {
    let d = only(&borrowed_copies(
        "{ from: Title, key: book_id, set: { title: title } }",
    ));
    assert_eq!(at(&d), "36:21 no projection `Title`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `Titles`?"));
    let d = only(&borrowed_copies(
        "{ from: Cards, key: book_id, set: { title: title } }",
    ));
    assert_eq!(at(&d), "36:21 `Cards` copies from itself");
    let d = only(&borrowed_copies("{ from: Titles, set: { title: title } }"));
    assert_eq!(
        at(&d),
        "36:13 a copy names the row it copies from by its key"
    );
    let d = only(&borrowed_copies(
        "{ from: Titles, key: book, set: { title: title } }",
    ));
    assert_eq!(at(&d), "36:34 event `Borrowed` has no field `book`");
    assert_eq!(
        d.hint.as_deref(),
        Some("name a field of `Borrowed`, or `loan_id`, the id of the aggregate that records it")
    );
    let d = only(&borrowed_copies(
        "{ from: Titles, key: copies, set: { title: title } }",
    ));
    assert_eq!(
        at(&d),
        "36:34 `copies` is `int`, but the key `book_id` of the row it names is `string`"
    );
}

#[test]
fn a_copy_sets_fields_of_this_row_from_fields_of_that_one() {
    let d = only(&borrowed_copies(
        "{ from: Titles, key: book_id, set: { titel: title } }",
    ));
    assert_eq!(at(&d), "36:50 this projection has no field `titel`");
    let d = only(&borrowed_copies(
        "{ from: Titles, key: book_id, set: { title: name } }",
    ));
    assert_eq!(at(&d), "36:57 `Titles` has no field `name`");
    let d = only(&borrowed_copies(
        "{ from: Titles, key: book_id, set: { loan_id: title } }",
    ));
    assert_eq!(
        at(&d),
        "36:50 `loan_id` is the key, always filled from the row's key"
    );
    let d = only(&borrowed_copies(
        "{ from: Titles, key: book_id, set: { title: loans } }",
    ));
    assert_eq!(
        at(&d),
        "36:57 `Titles.loans` is `int`, but `title` is `string`"
    );
    let d = only(&borrowed_copies("{ from: Titles, key: book_id, set: {} }"));
    assert_eq!(at(&d), "36:13 the copy sets no field");
}

#[test]
fn copied_fields_are_kept_by_one_aggregates_own_events() {
    // `loans` moves on each loan's `Borrowed`, on the book's row: no one aggregate's progress
    // says how fresh it is.
    let d = only(&borrowed_copies(
        "{ from: Titles, key: book_id, set: { loans: loans } }",
    ));
    assert_eq!(
        at(&d),
        "36:21 `Titles` changes a copied field on `Borrowed`, but on a row it does not name by \
         its own aggregate's id"
    );
}

#[test]
fn copies_in_a_circle_and_outside_projections_are_refused() {
    let circle = lending(COPIED).replace(
        "      Borrowed: {{ key: book_id, increment: {{ loans: 1 }} }}\n".replace("{{", "{").replace("}}", "}").as_str(),
        "      Borrowed:\n        key: book_id\n        increment: { loans: 1 }\n        copy: [{ from: Cards, key: loan_id, set: { title: title } }]\n",
    );
    let found = errors(&circle);
    assert!(
        found
            .iter()
            .any(|d| d.message == "`Titles` copies, through others, from itself"),
        "{found:?}"
    );
    let in_apply = lending(COPIED).replace(
        "apply: { set: { title: title } } }\n      Retitled",
        "apply: { set: { title: title }, copy: [{ from: Titles }] } }\n      Retitled",
    );
    let found = errors(&in_apply);
    assert!(
        found
            .iter()
            .any(|d| d.message == "`copy` belongs in projection handlers"),
        "{found:?}"
    );
    let deleting = lending(&COPIED.replace(
        "        set: { book_id: book_id }\n",
        "        delete: true\n",
    ));
    let d = only(&deleting);
    assert_eq!(
        at(&d),
        "36:21 a handler that deletes its row has nothing to copy onto"
    );
}

#[test]
fn a_copy_of_a_copy_is_refused() {
    // `Shelves` copies the title from `Cards`, which copies it from `Titles`.
    let chained = lending(COPIED)
        + "  Shelves:\n    key: loan_id\n    fields: { loan_id: uuid, title: string }\n    on:\n      Borrowed:\n        copy: [{ from: Cards, key: loan_id, set: { title: title } }]\n";
    let found = errors(&chained);
    assert!(
        found.iter().any(|d| d.message
            == "`Cards` copies a field this copy reads, on `Borrowed`, from another projection"),
        "{found:?}"
    );
}
