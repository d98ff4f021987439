//! `values:` on commands: event fields the server fills, from the clock or a new id, or from
//! a command field of another name.

use super::*;

/// A cart whose `CartOpened` also carries `opened_at` (a timestamp), `expires_on` (a date) and
/// `token` (a uuid), with `values` written on line 16.
fn served(values: &str) -> String {
    CART.replace(
        "        emits: [CartOpened]\n",
        &format!("        emits: [CartOpened]\n{values}\n"),
    )
    .replace(
        "          total: int\n        apply:",
        "          total: int\n          opened_at: timestamp\n          expires_on: date\n          token: uuid?\n        apply:",
    )
}

#[test]
fn the_server_fills_times_and_ids_once_per_command() {
    let model = model(&served(
        "        values: { opened_at: now, expires_on: now + 30d, token: new_id }",
    ));
    let command = &model.aggregates[0].commands[0];
    let sources: Vec<&ir::Source> = command.emits[0].fields.iter().map(|f| &f.source).collect();
    let thirty_days = ir::Offset {
        amount: 30,
        unit: ir::TimeUnit::Days,
    };
    assert_eq!(
        sources,
        [
            &ir::Source::CommandField(command.fields[0].clone()),
            &ir::Source::Now(ir::Offset::NONE),
            &ir::Source::Now(thirty_days),
            &ir::Source::NewId,
        ]
    );
    let token = &command.emits[0].fields[3];
    assert!(token.wrap_some, "an optional field takes Some(id)");
    let served: Vec<(&str, &ir::Type)> = command
        .served
        .iter()
        .map(|value| (value.name.as_str(), &value.ty))
        .collect();
    assert_eq!(
        served,
        [
            ("opened_at", &ir::Type::Timestamp),
            ("expires_on", &ir::Type::Date),
            ("token", &ir::Type::Uuid),
        ]
    );
    assert!(command.reads_clock());
}

#[test]
fn a_value_that_is_no_expression_names_the_forms() {
    let d = only(&served(
        "        values: { opened_at: tomorrow, expires_on: now, token: new_id }",
    ));
    assert_eq!(
        at(&d),
        "17:30 `tomorrow` is not a value the server can fill"
    );
    assert_eq!(
        d.hint.as_deref(),
        Some(
            "write `now`, `now + 21d` (d, h, m or s), `new_id`, `state.<field>`, \
             `command.<field>` or `<dependency>.<field>`"
        )
    );
}

#[test]
fn a_value_must_fit_the_field_it_feeds() {
    let d = only(&served(
        "        values: { opened_at: new_id, expires_on: now, token: new_id }",
    ));
    assert_eq!(
        at(&d),
        "17:30 `opened_at` is `timestamp` in `CartOpened`, and `new_id` is an id: it needs a uuid or string field"
    );
    let d = only(&served(
        "        values: { opened_at: now, expires_on: now + 2h, token: new_id }",
    ));
    assert_eq!(
        at(&d),
        "17:47 `expires_on` is a date in `CartOpened`, which moves by whole days"
    );
}

#[test]
fn a_value_no_event_has_a_field_for_is_refused_at_its_name() {
    let d = only(&served(
        "        values: { opened_at: now, expires_on: now, token: new_id, closed_at: now }",
    ));
    assert_eq!(
        at(&d),
        "17:67 no event that `OpenCart` records has a field `closed_at`"
    );
}

#[test]
fn a_value_renames_a_command_field() {
    let source = served("        values: { opened_at: now, expires_on: now, token: new_id }")
        .replace(
            "          total: { type: int, min: 0 }",
            "          amount: { type: int, min: 0 }",
        );
    let d = only(&source);
    assert!(d.message.contains("needs field `total`"), "{}", d.message);
    let model = model(&source.replace("token: new_id }", "token: new_id, total: command.amount }"));
    let fed = &model.aggregates[0].commands[0].emits[0].fields[0];
    assert!(matches!(&fed.source, ir::Source::CommandField(f) if f.name == "amount"));
    let d = only(&source.replace("token: new_id }", "token: new_id, total: command.amont }"));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "command `OpenCart` has no field `amont`"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `amount`?"));
}

/// `CART` with a date in its state and a guard on line 14 comparing it.
fn guarded(guard: &str) -> String {
    cart_with(13, &format!("        guards:\n          - {guard}")).replace(
        "      total: int\n    commands:",
        "      total: int\n      until: date?\n    commands:",
    )
}

#[test]
fn a_time_is_compared_with_now_moved_by_whole_days_for_a_date() {
    let model = model(&guarded("{ field: until, at_least: now - 1d }"));
    let guard = &model.aggregates[0].commands[0].guards[0];
    assert_eq!(
        guard.condition,
        ir::Condition::AtLeast(ir::Operand::Now(ir::Offset {
            amount: -1,
            unit: ir::TimeUnit::Days
        }))
    );
    assert_eq!(guard.message, "until must be at least now - 1d");
    assert!(model.aggregates[0].commands[0].reads_clock());

    let d = only(&guarded("{ field: until, at_most: now + 3h }"));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "`until` is a date, which moves by whole days"
    );
    let d = only(&guarded("{ field: until, at_most: later }"));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "command `OpenCart` has no field `later`"
    );
    let d = only(&guarded("{ field: until, at_most: now + soon }"));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "`now + soon` is not a time"
    );
}

/// `CART` with a second command, `CloseCart`, on line 16, whose `CartClosed` carries what the
/// state held, per `values`.
fn closing(values: &str, fields: &str) -> String {
    cart_with(
        16,
        &format!(
            "        emits: [CartOpened]\n      CloseCart:\n        emits: [CartClosed]\n        values: {values}"
        ),
    )
    .replace(
        "projections:",
        &format!("      CartClosed:\n        fields: {fields}\nprojections:"),
    )
}

#[test]
fn a_value_drawn_from_the_state_is_what_the_aggregate_holds_before_the_command() {
    let model = model(&closing(
        "{ final_total: state.total }",
        "{ final_total: int }",
    ));
    let close = &model.aggregates[0].commands[1];
    let fed = &close.emits[0].fields[0];
    assert!(matches!(&fed.source, ir::Source::State(f) if f.name == "total"));
    assert!(close.reads_own_state());
    assert!(!close.reads_clock(), "the state needs no clock");

    let d = only(&closing(
        "{ final_total: state.totl }",
        "{ final_total: int }",
    ));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "the state has no field `totl`"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `total`?"));
    let d = only(&closing(
        "{ final_total: state.total }",
        "{ final_total: string }",
    ));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "`final_total` is `string` in `CartClosed`, but `total` is `int` in the state"
    );
}

#[test]
fn a_creating_command_has_no_state_to_draw_from() {
    let d = only(&served(
        "        values: { opened_at: now, expires_on: now, token: new_id, total: state.total }",
    ));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "`OpenCart` creates its aggregate, which has no state yet to read"
    );
}
