//! Projections and queries.

use super::*;

#[test]
fn projection_consumes_unknown_event() {
    let d = only(&cart_with(32, "      CartOpned:"));
    assert_eq!(
        at(&d),
        "32:7 projection `CartView` handles `CartOpned`, which no aggregate declares"
    );
    assert_eq!(d.hint.as_deref(), Some("did you mean `CartOpened`?"));
}

#[test]
fn projection_change_uses_unknown_event_field() {
    let d = only(&cart_with(33, "        set: { total: totl }"));
    assert_eq!(at(&d), "33:23 event `CartOpened` has no field `totl`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `total`?"));
}

#[test]
fn projection_change_targets_unknown_field() {
    assert_eq!(
        error(&cart_with(33, "        set: { totals: total }")),
        "33:16 projection `CartView` has no field `totals`"
    );
}

#[test]
fn projection_key_is_not_a_change_target() {
    assert_eq!(
        error(&cart_with(33, "        set: { cart_id: total }")),
        "33:16 `cart_id` is the key of projection `CartView`; a change cannot target it"
    );
}

#[test]
fn projection_key_type_must_match_the_aggregate_id() {
    let d = only(&cart_with(28, "      cart_id: string"));
    assert_eq!(
        at(&d),
        "32:7 `CartView` is keyed by `cart_id` (`string`), but the id of `Cart` is `uuid`"
    );
}

#[test]
fn query_on_a_field_the_projection_lacks() {
    let d = only(&cart_with(
        36,
        "  cart: { projection: CartView, list_by: statsu }",
    ));
    assert_eq!(at(&d), "36:42 projection `CartView` has no field `statsu`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `status`?"));
}

#[test]
fn get_by_must_be_the_key() {
    assert_eq!(
        error(&cart_with(
            36,
            "  cart: { projection: CartView, get_by: total }"
        )),
        "36:41 `get_by` must be the key of `CartView`, which is `cart_id`"
    );
}

#[test]
fn list_by_indexes_the_field() {
    let model = model(&cart_with(
        36,
        "  carts_by_status: { projection: CartView, list_by: status }",
    ));
    assert_eq!(model.projections[0].indexes, [ir::Index::by("status")]);
}

#[test]
fn list_all_pages_through_every_row_and_stands_alone() {
    let model = model(&cart_with(
        36,
        "  carts: { projection: CartView, list_all: true }",
    ));
    assert_eq!(model.queries[0].kind, ir::QueryKind::ListAll);
    assert!(
        model.projections[0].indexes.is_empty(),
        "it filters on nothing"
    );

    let d = only(&cart_with(
        36,
        "  carts: { projection: CartView, list_all: false }",
    ));
    assert_eq!(at(&d), "36:44 `list_all: false` selects nothing");
    let d = only(&cart_with(
        36,
        "  carts: { projection: CartView, list_all: true, get_by: cart_id }",
    ));
    assert_eq!(
        at(&d),
        "36:58 query `carts` has both `list_all` and `get_by`"
    );
    let d = only(&cart_with(
        36,
        "  health: { projection: CartView, list_all: true }",
    ));
    assert_eq!(
        at(&d),
        "36:3 `health` is a route every service serves already (`/health`)"
    );
    let d = only(&cart_with(36, "  carts: { projection: CartView }"));
    assert_eq!(
        at(&d),
        "36:3 query `carts` has none of `get_by`, `list_by`, `list_all` and `count_by`"
    );
}

#[test]
fn cassandra_lists_need_a_good_partition_key() {
    let stack = |line: &str| {
        cart_with(2, "service: shop\nstores: { read: cassandra }")
            .replace("  cart: { projection: CartView, get_by: cart_id }", line)
    };
    let d = only(&stack(
        "  cart: { projection: CartView, get_by: cart_id }\n  by_open: { projection: CartView, list_by: open }",
    )
    .replace("      status: Status\n    on:", "      status: Status\n      open: bool\n    on:"));
    assert!(
        d.message
            .starts_with("Cassandra cannot serve `list_by: open` well"),
        "{}",
        d.message
    );
    assert!(
        d.hint
            .unwrap()
            .contains("one partition keyed by the listed field")
    );
    let fine = model(&stack(
        "  cart: { projection: CartView, get_by: cart_id }\n  by_status: { projection: CartView, list_by: status }",
    ));
    assert_eq!(fine.stores.read, ir::ReadStore::Cassandra);
    assert_eq!(fine.projections[0].indexes, [ir::Index::by("status")]);
}

/// A shop whose `Everything` projection consumes the events of carts and of wishes, keyed by
/// each aggregate's id; `Wish` has ids of type `wish_id_type`.
fn shop(wish_id_type: &str) -> String {
    format!(
        "\
version: 1
service: shop
aggregates:
  Cart:
    id: cart_id
    state: {{}}
    commands:
      OpenCart: {{ creates: true, emits: [CartOpened] }}
    events:
      CartOpened: {{}}
      CartClosed: {{}}
  Wish:
    id: wish_id
    id_type: {wish_id_type}
    state: {{}}
    commands:
      MakeWish: {{ creates: true, emits: [WishMade] }}
    events:
      WishMade: {{}}
projections:
  Everything:
    key: id
    fields: {{ id: uuid }}
    on:
      CartOpened: {{}}
      WishMade: {{}}
"
    )
}

#[test]
fn a_projection_consumes_the_events_of_several_aggregates() {
    let model = model(&shop("uuid"));
    let everything = &model.projections[0];
    assert_eq!(everything.aggregates, ["Cart", "Wish"]);
    let handled: Vec<(&str, &str)> = everything
        .handlers
        .iter()
        .map(|h| (h.aggregate.as_str(), h.event.name.as_str()))
        .collect();
    assert_eq!(handled, [("Cart", "CartOpened"), ("Wish", "WishMade")]);
    let ignored: Vec<(&str, &str)> = everything
        .ignored
        .iter()
        .map(|i| (i.aggregate.as_str(), i.event.name.as_str()))
        .collect();
    assert_eq!(ignored, [("Cart", "CartClosed")]);

    // Each event names its row by its aggregate's id unless it says otherwise: of the key's
    // type.
    let d = only(&shop("string"));
    assert_eq!(
        at(&d),
        "26:7 `Everything` is keyed by `id` (`uuid`), but the id of `Wish` is `string`"
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("add `key: <event field>` to take the row key from a field of the event")
    );
}

/// `CART` whose `CartView` also gets every row of a status renamed by a `Relabelled` event of
/// a `Shelf` aggregate, per `rows_where` (a `where` mapping).
fn relabel(rows_where: &str, extra: &str) -> String {
    CART.replace(
        "projections:",
        "  Shelf:\n    id: shelf_id\n    state: {}\n    commands:\n      Relabel: { creates: true, fields: { from: Status, to: Status }, emits: [Relabelled] }\n    events:\n      Relabelled:\n        fields: { from: Status, to: Status }\nprojections:",
    )
    .replace(
        "    on:\n",
        &format!("    on:\n      Relabelled:\n        where: {rows_where}\n        set: {{ status: to }}{extra}\n"),
    )
}

#[test]
fn a_handler_changes_every_row_holding_a_value() {
    let model = model(&relabel("{ status: from }", ""));
    let view = &model.projections[0];
    let handler = view
        .handlers
        .iter()
        .find(|h| h.event.name == "Relabelled")
        .unwrap();
    assert!(
        matches!(&handler.key, ir::RowKey::Where { column, value: ir::WhereValue::EventField(from) }
            if column.name == "status" && from.name == "from"),
        "{:?}",
        handler.key
    );
    assert!(
        view.indexes.contains(&ir::Index::by("status")),
        "rows are found by it"
    );

    let d = only(&relabel("{ statu: from }", ""));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "the projection has no field `statu`"
    );
    let d = only(&relabel("{ status: form }", ""));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "event `Relabelled` has no field `form`"
    );
    let d = only(&relabel("{ cart_id: from }", ""));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "`cart_id` is the key: one row holds each value"
    );
    let d = only(&relabel("{ status: from }", "\n        key: from"));
    assert_eq!(
        at(&d).split_once(' ').unwrap().1,
        "a handler takes `key` or `where`, not both"
    );
}

#[test]
fn rows_are_found_by_fields_cassandra_can_partition_by_and_only_in_projections() {
    let by_open = relabel("{ open: open }", "")
        .replacen(
            "service: shop",
            "service: shop\nstores: { read: cassandra }",
            1,
        )
        .replace(
            "fields: { from: Status, to: Status }\nprojections:",
            "fields: { from: Status, to: Status, open: bool }\nprojections:",
        )
        .replace(
            "fields: { from: Status, to: Status }, emits",
            "fields: { from: Status, to: Status, open: bool }, emits",
        )
        .replace(
            "      status: Status\n    on:",
            "      status: Status\n      open: bool\n    on:",
        );
    let d = only(&by_open);
    assert!(
        d.message
            .starts_with("Cassandra cannot find rows by `open` well"),
        "{}",
        d.message
    );

    let in_apply = CART.replacen(
        "        apply:\n",
        "        apply:\n          where: { total: total }\n",
        1,
    );
    let found = errors(&in_apply);
    assert!(
        found
            .iter()
            .any(|d| d.message == "`where` belongs in projection handlers"),
        "{found:?}"
    );
}
