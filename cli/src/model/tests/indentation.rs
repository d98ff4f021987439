//! Indentation mistakes, said in plain words with the parser's own beside them.

use super::*;

#[test]
fn a_key_lined_up_with_no_key_above() {
    let d = only(&cart_with(8, "   state:"));
    assert_eq!(
        at(&d),
        "8:4 line 8 is indented 3 spaces, which lines it up with no key above it"
    );
    let hint = d.hint.unwrap();
    assert!(
        hint.starts_with(
            "the keys it could belong beside are indented 4 for `id`, 2 for `Cart`, 0 for \
             `aggregates`; indent it like one of them"
        ),
        "{hint}"
    );
    assert!(hint.contains("the YAML parser says"), "{hint}");
}

#[test]
fn a_key_nested_under_a_key_that_has_a_value() {
    let d = only(&cart_with(8, "      state:"));
    assert_eq!(
        at(&d),
        "8:7 line 8 is indented under `id` (line 7), which already has a value"
    );
    let hint = d.hint.unwrap();
    assert!(
        hint.starts_with("line it up with `id` (4 spaces) to make it a key beside it"),
        "{hint}"
    );
}

#[test]
fn a_tab_in_the_indentation() {
    let d = only(&cart_with(8, "\tstate:"));
    assert_eq!(at(&d), "8:1 line 8 is indented with a tab");
    assert_eq!(
        d.hint.as_deref(),
        Some("YAML indents with spaces only: replace the tab with spaces")
    );
}
