//! Types, value objects, field lists and their rules, constants.

use super::*;

#[test]
fn unknown_type() {
    let d = only(&cart_with(9, "      status: Statsu"));
    assert_eq!(at(&d), "9:15 unknown type `Statsu`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `Status`?"));
}

#[test]
fn unknown_type_inside_a_list_points_at_the_element() {
    let d = only(&cart_with(9, "      status: list<Statsu>"));
    assert_eq!(at(&d), "9:20 unknown type `Statsu`");
    assert_eq!(d.length, 6);
    let d = only(&cart_with(9, "      status: \"optional<Strnig>\""));
    assert_eq!(at(&d), "9:25 unknown type `Strnig`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `string`?"));
}

#[test]
fn optional_shorthand() {
    let model = model(&cart_with(9, "      status: Status?"));
    assert_eq!(
        model.aggregates[0].state[0].ty,
        Type::Optional(Box::new(Type::Enum(model.enums[0].clone())))
    );
}

#[test]
fn a_value_object_that_contains_itself_is_refused() {
    let values = |lines: &str| cart_with(4, &format!("  Status: [Open, Closed]\nvalues:\n{lines}"));
    let d = only(&values("  Node: { name: string, parent: optional<Node> }"));
    assert_eq!(
        at(&d),
        "6:42 value `Node` contains itself: Node.parent → Node"
    );
    assert!(
        d.hint.unwrap().contains("refer to the other one by its id"),
        "the hint says what to do instead"
    );
    // Through another value object and a list: one problem per cycle, told from the value met
    // first (here through `Holder`), at the type that closes it.
    let d = only(&values(
        "  Holder: { inner: Inner }\n  Outer: { inner: list<Inner> }\n  Inner: { outer: Outer? }",
    ));
    assert_eq!(
        at(&d),
        "7:24 value `Inner` contains itself: Inner.outer → Outer.inner → Inner"
    );
    // A value may still hold one declared after it.
    model(&values(
        "  Outer: { inner: list<Inner> }\n  Inner: { n: int }",
    ));
}

#[test]
fn duplicate_field() {
    let d = only(&cart_with(10, "      total: int\n      total: int"));
    assert_eq!(at(&d), "11:7 duplicate field `total`");
    assert_eq!(d.hint.as_deref(), Some("the first `total` is on line 10"));
}

#[test]
fn rules_belong_on_command_fields() {
    let d = only(&cart_with(10, "      total: { type: int, min: 0 }"));
    assert_eq!(at(&d), "10:32 validation rules belong on command fields");
}

#[test]
fn rules_must_fit_the_type() {
    assert_eq!(
        error(&cart_with(
            15,
            "          total: { type: int, max_length: 3 }"
        )),
        "15:43 `max_length` needs a string or list field, but `total` is `int`"
    );
    assert_eq!(
        error(&cart_with(
            15,
            "          total: { type: int, min: 5, max: 1 }"
        )),
        "15:44 `total` has `max` 1 below `min` 5"
    );
}

#[test]
fn decimal_constants_keep_their_spelling() {
    let source = cart_with(10, "      total: decimal")
        .replace("total: int", "total: decimal")
        .replace("type: int, min: 0", "type: decimal, min: 0");
    let source = source
        .replace(
            "set_const: { status: Open }",
            "set_const: { status: Open, total: 1.50 }",
        )
        .replace("set: { total: total }\n        set_const", "set_const");
    let model = model(&source);
    let apply = &model.aggregates[0].events[0].apply;
    assert!(
        apply.iter().any(|change| matches!(
            change,
            ChangeOp::SetConst { target, value: Literal::Decimal(written) }
                if target.name == "total" && written == "1.50"
        )),
        "{apply:#?}"
    );
}

/// `OpenCart` with a field `code` of the given spec, on line 16.
fn with_code(spec: &str) -> String {
    cart_with(
        15,
        &format!("          total: {{ type: int, min: 0 }}\n          code: {spec}"),
    )
}

#[test]
fn a_pattern_is_a_regular_expression_with_an_example_that_matches() {
    let model = model(&with_code(
        r#"{ type: string, pattern: "^[A-Z]{3}-[0-9]+$", example: "ABC-12" }"#,
    ));
    let rules = &model.aggregates[0].commands[0].fields[1].rules;
    assert_eq!(rules.pattern.as_deref(), Some("^[A-Z]{3}-[0-9]+$"));
    assert_eq!(rules.example.as_deref(), Some("ABC-12"));

    let d = only(&with_code(
        r#"{ type: string, pattern: "^[A-Z", example: "A" }"#,
    ));
    assert!(
        at(&d).starts_with("16:42 the `pattern` of `code` is not a regular expression: unclosed"),
        "{}",
        at(&d)
    );
    let d = only(&with_code(r#"{ type: string, pattern: "^[A-Z]+$" }"#));
    assert_eq!(
        at(&d),
        "16:42 `code` has a `pattern` but no `example` that matches it"
    );
    let d = only(&with_code(
        r#"{ type: string, pattern: "^[A-Z]+$", example: "abc" }"#,
    ));
    assert_eq!(
        at(&d),
        "16:63 the example of `code` does not match the pattern `^[A-Z]+$`"
    );
    let d = only(&with_code(
        r#"{ type: string, max_length: 2, example: "abc" }"#,
    ));
    assert_eq!(
        at(&d),
        "16:57 the example of `code` is longer than `max_length`"
    );
    let d = only(&with_code(r#"{ type: int, pattern: "^1$" }"#));
    assert_eq!(
        at(&d),
        "16:39 `pattern` needs a string field, but `code` is `int`"
    );
}
