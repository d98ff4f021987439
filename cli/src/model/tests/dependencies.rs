//! Commands that read other aggregates (`depends_on`) and unique state fields.

use super::*;

/// A book lent to a member: the loan reads the member, guards its state and records on it.
const LIBRARY: &str = "\
version: 1
service: library
aggregates:
  Book:
    id: book_id
    id_type: string
    state:
      isbn: string
      on_loan: bool
    unique:
      isbn: {}
    commands:
      RegisterBook:
        creates: true
        fields:
          isbn: string
        emits: [BookRegistered]
      LendBook:
        fields:
          member_id: string
        depends_on:
          member:
            aggregate: Member
            id: member_id
            guards:
              - { field: suspended, equals: false, message: suspended }
            emits: [LoanRecorded]
        emits: [BookLent]
    events:
      BookRegistered:
        fields:
          isbn: string
        apply:
          set: { isbn: isbn }
      BookLent:
        apply:
          set_const: { on_loan: true }
  Member:
    id: member_id
    id_type: string
    state:
      suspended: bool
    commands:
      Join:
        creates: true
        emits: [Joined]
    events:
      Joined: {}
      LoanRecorded:
        fields:
          book_id: string
";

/// `LIBRARY` with line `line` (1-based) replaced by `with`.
fn library_with(line: usize, with: &str) -> String {
    let mut lines: Vec<&str> = LIBRARY.lines().collect();
    lines[line - 1] = with;
    lines.join("\n") + "\n"
}

#[test]
fn a_loan_reads_the_member_by_a_field_of_the_command() {
    let model = model(LIBRARY);
    let book = &model.aggregates[0];
    assert_eq!(book.unique[0].field.name, "isbn");
    let lend = &book.commands[1];
    assert!(lend.is_decision() && !book.commands[0].is_decision());
    let member = &lend.depends_on[0];
    assert_eq!(
        (
            member.name.as_str(),
            member.aggregate.as_str(),
            member.id.name.as_str(),
            member.exists
        ),
        ("member", "Member", "member_id", true)
    );
    assert_eq!(member.guards[0].field.name, "suspended");
    assert_eq!(member.emits[0].event.name, "LoanRecorded");
    assert_eq!(
        member.emits[0].fields[0].source,
        ir::Source::AggregateId,
        "the book's id feeds `book_id`"
    );
}

#[test]
fn the_library_example_validates() {
    let model = example("library.yaml");
    let decisions: Vec<&str> = model
        .aggregates
        .iter()
        .flat_map(|a| &a.commands)
        .filter(|c| c.is_decision())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(decisions, ["LendBook", "ReturnBook"]);
}

#[test]
fn an_unknown_aggregate_is_named_with_a_suggestion() {
    let d = only(&library_with(23, "            aggregate: Membr"));
    assert_eq!(at(&d), "23:24 unknown aggregate `Membr`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `Member`?"));
}

#[test]
fn the_id_field_must_be_a_field_of_the_command_of_the_right_type() {
    assert_eq!(
        error(&library_with(24, "            id: member")),
        "24:17 command `LendBook` has no field `member`"
    );
    assert_eq!(
        error(&library_with(20, "          member_id: int")),
        "24:17 `member_id` is `int`, but a Member id is `string`"
    );
}

#[test]
fn reading_its_own_aggregate_by_its_own_id_is_refused() {
    let source = library_with(23, "            aggregate: Book").replace(
        "id: member_id\n            guards",
        "id: book_id\n            guards",
    );
    let errors = errors(&source);
    assert_eq!(
        at(&errors[0]),
        "24:17 `book_id` is the id of `Book` itself, which the command reads already"
    );
}

#[test]
fn a_guard_on_another_aggregate_names_its_fields() {
    let d = only(&library_with(
        26,
        "              - { field: suspendd, equals: false, message: suspended }",
    ));
    assert_eq!(at(&d), "26:26 guard on unknown state field `suspendd`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `suspended`?"));
}

#[test]
fn events_recorded_on_another_aggregate_are_its_own() {
    let d = only(&library_with(27, "            emits: [BookLent]"));
    assert_eq!(
        at(&d),
        "27:21 command `LendBook` emits `BookLent`, which aggregate `Member` does not declare"
    );
}

#[test]
fn an_aggregate_that_must_not_exist_has_no_state_to_guard() {
    let d = only(&library_with(
        24,
        "            id: member_id\n            exists: false",
    ));
    assert_eq!(
        at(&d),
        "27:17 `member` must not exist, so there is no state to guard"
    );
}

#[test]
fn unique_fields_are_state_fields_of_a_key_type() {
    let d = only(&library_with(11, "      isbnn: {}"));
    assert_eq!(at(&d), "11:7 `isbnn` is not a state field of `Book`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `isbn`?"));
    assert_eq!(
        error(&library_with(11, "      on_loan: {}")),
        "11:7 `on_loan` is `bool`, which cannot be a unique value"
    );
    assert_eq!(
        error(&library_with(11, "      isbn: { within: isbn }")),
        "11:23 `isbn` cannot be unique within itself"
    );
}

/// The bank transfer of `docs/model.md`: a command reading a second aggregate of its own type.
#[test]
fn a_transfer_reads_a_second_account() {
    let model = model(
        "\
version: 1
service: bank
aggregates:
  Account:
    id: account_id
    state:
      balance: int
    commands:
      Open:
        creates: true
        emits: [Opened]
      Transfer:
        fields:
          to_account: uuid
          amount: { type: int, min: 1 }
        guards:
          - { field: balance, at_least: amount, message: \"insufficient funds\" }
        depends_on:
          recipient: { aggregate: Account, id: to_account, emits: [Credited] }
        emits: [Debited]
    events:
      Opened: {}
      Debited:
        fields:
          amount: int
        apply:
          decrement: { balance: amount }
      Credited:
        fields:
          account_id: uuid
          amount: int
        apply:
          increment: { balance: amount }
",
    );
    let transfer = &model.aggregates[0].commands[1];
    assert_eq!(transfer.depends_on[0].aggregate, "Account");
    let credited = &transfer.depends_on[0].emits[0];
    assert_eq!(credited.event.name, "Credited");
    // The recipient's `account_id` is the recipient's id, not the command's own.
    match &credited.fields[0].source {
        ir::Source::CommandField(field) => assert_eq!(field.name, "to_account"),
        other => panic!("account_id comes from {other:?}"),
    }
}

#[test]
fn a_dependency_cannot_take_the_name_of_the_commands_own_aggregate() {
    let d = only(&library_with(22, "          book:"));
    assert_eq!(
        at(&d),
        "22:11 `book` is the name the command's own Book goes by"
    );
}

/// `LIBRARY` whose `BookLent` carries `borrower`, of type `ty`, filled by `values`; the member's
/// state holds a `name` besides `suspended`.
fn lent_with(value: &str, ty: &str) -> String {
    LIBRARY
        .replace(
            "        emits: [BookLent]\n",
            &format!("        emits: [BookLent]\n        values: {{ borrower: {value} }}\n"),
        )
        .replace(
            "      BookLent:\n        apply:",
            &format!("      BookLent:\n        fields:\n          borrower: {ty}\n        apply:"),
        )
        .replace(
            "      suspended: bool\n",
            "      suspended: bool\n      name: string\n",
        )
}

#[test]
fn an_event_field_is_drawn_from_the_state_of_an_aggregate_the_command_reads() {
    let library = model(&lent_with("member.name", "string"));
    let lend = &library.aggregates[0].commands[1];
    let fed = &lend.emits[0].fields[0];
    assert!(
        matches!(&fed.source, ir::Source::Consulted { from, field }
            if from == "member" && field.name == "name"),
        "{fed:?}"
    );
    assert!(lend.consults("member") && !lend.consults("book"));
    assert!(lend.served.is_empty(), "nothing for the server to make");

    // An optional field takes it wrapped.
    let optional = model(&lent_with("member.name", "string?"));
    assert!(optional.aggregates[0].commands[1].emits[0].fields[0].wrap_some);
}

#[test]
fn a_field_drawn_from_another_aggregate_must_be_one_of_its_state() {
    let d = only(&lent_with("member.nme", "string"));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "the state of `member` (Member) has no field `nme`"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `name`?"));

    let d = only(&lent_with("member.suspended", "string"));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "`borrower` is `string` in `BookLent`, but `suspended` is `bool` in the state of `member`"
    );

    // Neither a name `depends_on` does not give, nor one that must not exist.
    let d = only(&lent_with("patron.name", "string"));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "`patron.name` is not a value the server can fill"
    );
    let absent = lent_with("member.name", "string").replace(
        "            id: member_id\n",
        "            id: member_id\n            exists: false\n",
    );
    let absent = absent
        .replace(
            "              - { field: suspended, equals: false, message: suspended }\n",
            "",
        )
        .replace("            guards:\n", "");
    let diagnostics = errors(&absent);
    assert!(
        diagnostics
            .iter()
            .any(|d| d.message == "`member` must not exist, so it has no state to read"),
        "{diagnostics:?}"
    );
}

#[test]
fn a_dependency_is_not_named_like_what_the_decision_binds() {
    for taken in ["read", "changes", "borrower"] {
        let source = lent_with("now", "timestamp").replace(
            "        depends_on:\n          member:\n",
            &format!("        depends_on:\n          {taken}:\n"),
        );
        let d = only(&source);
        assert_eq!(
            at(&d).split_once(' ').unwrap().1,
            format!("`{taken}` is a name the command's decision uses for something else"),
            "{taken}"
        );
    }
}
