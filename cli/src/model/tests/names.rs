//! Names: case, keywords, reserved names, duplicates.

use super::*;

#[test]
fn duplicate_type_name_across_kinds() {
    assert_eq!(
        error(&cart_with(4, "  Status: [Open, Closed]\n  Cart: [A]")),
        "7:3 the name `Cart` is already used by an enum"
    );
}

#[test]
fn duplicate_variant() {
    assert_eq!(
        error(&cart_with(4, "  Status: [Open, Closed, Open]")),
        "4:26 duplicate variant `Open`"
    );
}

#[test]
fn duplicate_query() {
    let source = format!("{CART}  cart: {{ projection: CartView, get_by: cart_id }}\n");
    assert_eq!(error(&source), "37:3 duplicate query `cart`");
}

#[test]
fn reserved_name() {
    let d = only(&CART.replace("Status", "State"));
    assert_eq!(
        at(&d),
        "4:3 `State` cannot be an enum name: the generated code uses it"
    );
    assert_eq!(d.hint.as_deref(), Some("rename it, like `ShopState`"));
}

#[test]
fn name_not_a_valid_identifier() {
    let d = only(&cart_with(12, "      open_cart:"));
    assert_eq!(at(&d), "12:7 `open_cart` is not a valid command name");
    assert_eq!(
        d.hint.as_deref(),
        Some("command names are UpperCamelCase: `OpenCart`")
    );
    let d = only(&cart_with(
        10,
        "      total: int\n      createdAt: timestamp",
    ));
    assert_eq!(at(&d), "11:7 `createdAt` is not a valid field name");
    assert_eq!(
        d.hint.as_deref(),
        Some("field names are snake_case: `created_at`")
    );
}

#[test]
fn keyword_name() {
    let d = only(&cart_with(10, "      total: int\n      type: string"));
    assert_eq!(
        at(&d),
        "11:7 `type` is a Rust keyword and cannot be a field name"
    );
    assert_eq!(d.hint.as_deref(), Some("rename it, like `type_kind`"));
}

#[test]
fn invalid_service_name() {
    let d = only(&cart_with(2, "service: MyShop"));
    assert_eq!(at(&d), "2:10 `MyShop` is not a valid service name");
    assert_eq!(
        d.hint.as_deref(),
        Some("service names are lowercase kebab-case or snake_case: `my-shop`")
    );
}

#[test]
fn a_name_the_generated_code_derives() {
    let d = only(&CART.replace("CartOpened", "CartEvent"));
    assert_eq!(
        at(&d),
        "18:7 `CartEvent` cannot be an event name: the generated code names the enum of `Cart`'s events so"
    );
    assert_eq!(d.hint.as_deref(), Some("rename it, like `CartHappened`"));
}
