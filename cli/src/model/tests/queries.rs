//! Lists by several fields, in a field's order, within a range; and what each read store
//! refuses of them.

use super::*;

/// `CART` with more fields on its projection, `query` as its only query, and `stores` as its
/// stores line (none: the embedded default).
fn carts(query: &str, stores: Option<&str>) -> String {
    let source = cart_with(
        30,
        "      status: Status\n      opened: date\n      closed: date?\n      price: decimal\n      open: bool",
    )
    .replace("  cart: { projection: CartView, get_by: cart_id }", query);
    match stores {
        Some(stores) => source.replace("service: shop", &format!("service: shop\n{stores}")),
        None => source,
    }
}

#[test]
fn a_list_by_several_fields_in_an_order_within_a_range() {
    let recent = model(&carts(
        "  recent: { projection: CartView, list_by: [status, total], order_by: opened desc, range: opened }",
        None,
    ));
    let ir::QueryKind::Find {
        equal,
        order: Some(order),
        range: true,
    } = &recent.queries[0].kind
    else {
        panic!("{:?}", recent.queries[0].kind)
    };
    let names: Vec<&str> = equal.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["status", "total"]);
    assert_eq!(
        (order.field.name.as_str(), order.descending),
        ("opened", true)
    );
    assert_eq!(
        recent.projections[0].indexes,
        [ir::Index {
            equal: vec!["status".into(), "total".into()],
            order: Some("opened".into()),
        }]
    );

    // A range alone orders by its field, ascending; one field and an order is a find too.
    let due = model(&carts(
        "  due: { projection: CartView, list_by: status, range: opened }",
        None,
    ));
    assert!(matches!(
        &due.queries[0].kind,
        ir::QueryKind::Find { order: Some(order), range: true, .. } if !order.descending
    ));
}

#[test]
fn every_row_in_an_order_on_sql_stores_only() {
    let query = "  by_price: { projection: CartView, list_all: true, order_by: opened }";
    let on_postgres = model(&carts(query, Some("stores: { read: postgres }")));
    assert!(matches!(
        &on_postgres.queries[0].kind,
        ir::QueryKind::Find { equal, order: Some(_), range: false } if equal.is_empty()
    ));
    let d = only(&carts(query, Some("stores: { read: cassandra }")));
    assert!(
        at(&d).starts_with("41:63 Cassandra cannot order every row"),
        "{}",
        at(&d)
    );
    assert!(d.hint.unwrap().contains("add `list_by`"));
}

#[test]
fn an_order_needs_a_field_with_an_order() {
    let refused = |order: &str, stores: Option<&str>| {
        let query = format!("  q: {{ projection: CartView, list_by: status, order_by: {order} }}");
        at(&only(&carts(&query, stores)))
    };
    assert_eq!(
        refused("cart_id", None),
        "40:57 every list is in `cart_id` order already"
    );
    assert_eq!(
        refused("closed", None),
        "40:57 cannot order by `closed`, which is optional: a row without it has no place in the order"
    );
    assert_eq!(
        refused("open", None),
        "40:57 cannot order by `open` (`bool`): a bool has two values: list by it instead"
    );
    assert_eq!(
        refused("status", None),
        "40:57 `status` is listed by: every row of a list holds the same `status`"
    );
    assert_eq!(
        refused("opened sideways", None),
        "40:57 cannot read `order_by: opened sideways`"
    );
    assert_eq!(
        refused("tootal", None),
        "40:57 projection `CartView` has no field `tootal`"
    );
    assert!(refused("price", None).starts_with(
        "40:57 cannot order by `price` (`decimal`): this store keeps decimals as text"
    ));
    let on_postgres = carts(
        "  q: { projection: CartView, list_by: status, order_by: price }",
        Some("stores: { read: postgres }"),
    );
    model(&on_postgres);
}

#[test]
fn a_range_narrows_the_order_and_a_get_has_none() {
    assert_eq!(
        error(&carts(
            "  q: { projection: CartView, list_by: status, order_by: opened, range: total }",
            None,
        )),
        "40:72 `range: total` narrows a list ordered by `opened`"
    );
    assert_eq!(
        error(&carts(
            "  q: { projection: CartView, get_by: cart_id, order_by: opened }",
            None,
        )),
        "40:57 a `get_by` query answers one row: there is nothing to order"
    );
}

#[test]
fn list_by_names_each_field_once() {
    assert_eq!(
        error(&carts("  q: { projection: CartView, list_by: [] }", None)),
        "40:39 `list_by: []` names no field"
    );
    assert_eq!(
        error(&carts(
            "  q: { projection: CartView, list_by: [status, status] }",
            None,
        )),
        "40:48 `status` is listed twice"
    );
    assert_eq!(
        error(&carts(
            "  q: { projection: CartView, list_by: [status, closed] }",
            None,
        )),
        "40:48 cannot list by `closed`, which is `optional<date>`"
    );
}
