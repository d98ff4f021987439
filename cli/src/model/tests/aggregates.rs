//! Aggregates: persistence, ids, events, commands, emits and guards.

use super::*;

#[test]
fn persistence_defaults_to_event_sourced_and_names_its_choices() {
    assert_eq!(
        model(CART).aggregates[0].persistence,
        ir::Persistence::EventSourced
    );
    let stored = model(&cart_with(
        7,
        "    id: cart_id\n    persistence: state_stored",
    ));
    assert_eq!(
        stored.aggregates[0].persistence,
        ir::Persistence::StateStored
    );

    let d = only(&cart_with(
        7,
        "    id: cart_id\n    persistence: state-stored",
    ));
    assert_eq!(at(&d), "8:18 `state-stored` is not a persistence");
    assert_eq!(d.hint.as_deref(), Some("did you mean `state_stored`?"));
    let d = only(&cart_with(7, "    id: cart_id\n    persistence: tables"));
    assert!(
        d.hint
            .unwrap()
            .contains("`state_stored` keeps its current state")
    );
}

#[test]
fn emitted_event_not_declared() {
    let d = only(&cart_with(16, "        emits: [CartOpend]"));
    assert_eq!(
        at(&d),
        "16:17 command `OpenCart` emits `CartOpend`, which aggregate `Cart` does not declare"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `CartOpened`?"));
}

#[test]
fn missing_emits() {
    assert_eq!(
        error(&cart_with(16, "")),
        "12:7 command `OpenCart` has no `emits`"
    );
}

#[test]
fn guard_on_unknown_state_field() {
    let d = only(&cart_with(
        13,
        "        guards:\n          - { field: stauts, equals: Open }",
    ));
    assert_eq!(at(&d), "14:22 guard on unknown state field `stauts`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `status`?"));
}

#[test]
fn guard_literal_must_be_a_variant() {
    let d = only(&cart_with(
        13,
        "        guards:\n          - { field: status, equals: Opn }",
    ));
    assert_eq!(at(&d), "14:38 `Opn` is not a variant of `Status`");
}

#[test]
fn guard_takes_exactly_one_condition() {
    assert_eq!(
        error(&cart_with(
            13,
            "        guards:\n          - { field: total, at_least: 1, at_most: 5 }"
        )),
        "14:51 a guard takes exactly one condition"
    );
}

#[test]
fn guard_operand_must_be_a_command_field_of_the_same_type() {
    let source = cart_with(
        15,
        "          total: { type: int, min: 0 }\n          limit: float\n        guards:\n          - { field: total, at_most: limit }",
    );
    assert_eq!(
        error(&source),
        "18:38 `limit` is `float` in the command but `total` is `int`"
    );
}

#[test]
fn guard_default_messages() {
    let source = cart_with(
        13,
        "        guards:\n          - { field: status, one_of: [Open, Closed] }\n          - { field: total, at_least: total }\n          - { field: status, not_equals: Closed }",
    );
    let model = model(&source);
    let messages: Vec<_> = model.aggregates[0].commands[0]
        .guards
        .iter()
        .map(|g| g.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "status must be one of Open, Closed",
            "total must be at least total",
            "status must not be Closed"
        ]
    );
}

#[test]
fn missing_id() {
    let d = only(&cart_with(7, ""));
    assert_eq!(at(&d), "6:3 aggregate `Cart` has no `id`");
    assert_eq!(
        d.hint.as_deref(),
        Some("add `id: cart_id`, the field that identifies each Cart")
    );
}

#[test]
fn command_event_field_type_mismatch() {
    let source = cart_with(20, "          total: string")
        .replace("set: { total: total }\n          set_const", "set_const");
    let found: Vec<String> = errors(&source).iter().map(at).collect();
    assert_eq!(
        found,
        [
            "16:17 event `CartOpened` needs field `total`, which is `int` in the command but `string` in the event",
            "32:23 cannot set `total` (`int`) from `total` (`string`)",
        ]
    );
}

#[test]
fn emits_say_where_each_event_field_comes_from() {
    let source = cart_with(
        20,
        "          total: int\n          cart_id: uuid\n          note: optional<string>",
    )
    .replace(
        "          total: { type: int, min: 0 }\n",
        "          total: { type: int, min: 0 }\n          note: string\n",
    );
    let model = model(&source);
    let cart = &model.aggregates[0];
    let emit = &cart.commands[0].emits[0];
    assert!(std::sync::Arc::ptr_eq(&emit.event, &cart.events[0]));
    let fed: Vec<(&str, Option<&str>, bool)> = emit
        .fields
        .iter()
        .map(|fed| {
            let from = match &fed.source {
                ir::Source::CommandField(field) => Some(field.name.as_str()),
                _ => None,
            };
            (fed.field.name.as_str(), from, fed.wrap_some)
        })
        .collect();
    assert_eq!(
        fed,
        [
            ("total", Some("total"), false),
            ("cart_id", None, false),
            ("note", Some("note"), true)
        ]
    );
}

#[test]
fn event_field_missing_from_command() {
    let source = cart_with(20, "          total: int\n          note: string");
    assert_eq!(
        error(&source),
        "16:17 event `CartOpened` needs field `note`, which command `OpenCart` does not have"
    );
}

#[test]
fn command_field_may_not_repeat_the_id() {
    assert_eq!(
        error(&cart_with(
            15,
            "          total: { type: int, min: 0 }\n          cart_id: uuid"
        )),
        "16:11 `cart_id` is the aggregate id; it cannot be declared again"
    );
}

#[test]
fn set_needs_matching_types() {
    assert_eq!(
        error(&cart_with(22, "          set: { status: total }")),
        "22:26 cannot set `status` (`Status`) from `total` (`int`)"
    );
}

#[test]
fn delete_only_in_projections() {
    assert_eq!(
        error(&cart_with(23, "          delete: true")),
        "23:19 `delete` belongs in projection handlers"
    );
}

#[test]
fn a_guard_names_its_code_in_plain_words() {
    let coded = model(&cart_with(
        13,
        "        guards:\n          - { field: status, equals: Open, code: cart_closed }",
    ));
    let guard = &coded.aggregates[0].commands[0].guards[0];
    assert_eq!(guard.code.as_deref(), Some("cart_closed"));
    let plain = model(&cart_with(
        13,
        "        guards:\n          - { field: status, equals: Open }",
    ));
    assert_eq!(plain.aggregates[0].commands[0].guards[0].code, None);

    let d = only(&cart_with(
        13,
        "        guards:\n          - { field: status, equals: Open, code: \"cart closed!\" }",
    ));
    assert_eq!(at(&d), "14:50 `cart closed!` cannot be a rejection code");
    assert_eq!(
        d.hint.as_deref(),
        Some("use letters, digits, `_`, `-` and `.`, like `book_on_loan`")
    );
}

#[test]
fn set_null_clears_an_optional_field_and_only_one() {
    let source = CART.replace(
        "      total: int\n    commands:",
        "      total: int\n      note: string?\n    commands:",
    );
    let cleared = model(&source.replace(
        "          set: { total: total }\n          set_const: { status: Open }\n",
        "          set: { total: total, note: null }\n          set_const: { status: Open }\n",
    ));
    let changes = &cleared.aggregates[0].events[0].apply;
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, ir::ChangeOp::Clear { target } if target.name == "note")),
        "{changes:?}"
    );
    let d = only(&source.replace(
        "          set: { total: total }\n          set_const: { status: Open }\n",
        "          set: { total: null }\n          set_const: { status: Open }\n",
    ));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "`total` is `int`, which always holds a value: it cannot be cleared"
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("declare `total: int?` to let it hold nothing")
    );
}
