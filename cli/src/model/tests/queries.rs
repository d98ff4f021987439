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
    let names: Vec<&str> = equal.iter().map(|t| t.text.as_str()).collect();
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

/// The warehouse example with `query` as its only query.
fn warehouse(query: &str) -> String {
    let source = include_str!("../../../../examples/inventory.yaml");
    let start = source.find("queries:\n").expect("the example has queries");
    format!("{}queries:\n{query}\n", &source[..start])
}

#[test]
fn a_list_by_a_field_of_a_value_object_or_by_each_element_of_a_list() {
    let model = example("inventory.yaml");
    let terms = |name: &str| -> Vec<(String, String, Type)> {
        let query = model.queries.iter().find(|q| q.name == name).unwrap();
        let ir::QueryKind::Find { equal, .. } = &query.kind else {
            panic!("{:?}", query.kind)
        };
        equal
            .iter()
            .map(|t| (t.text.clone(), t.param.name.clone(), t.param.ty.clone()))
            .collect()
    };
    assert_eq!(
        terms("stock_in_aisle"),
        [(
            "location.aisle".into(),
            "location_aisle".into(),
            Type::String
        )]
    );
    assert_eq!(
        terms("stock_tagged"),
        [("tags[]".into(), "tags".into(), Type::String)]
    );
    assert!(model.projections[0].indexes.contains(&ir::Index {
        equal: vec!["tags[]".into()],
        order: None,
    }));
}

#[test]
fn a_list_by_a_field_of_each_element_of_a_list_of_value_objects() {
    let model = example("ordering.yaml");
    let query = model
        .queries
        .iter()
        .find(|q| q.name == "orders_with_product")
        .unwrap();
    let ir::QueryKind::Find { equal, .. } = &query.kind else {
        panic!("{:?}", query.kind)
    };
    assert_eq!(
        (
            equal[0].text.as_str(),
            equal[0].param.name.as_str(),
            &equal[0].param.ty
        ),
        ("lines[].product_id", "lines_product_id", &Type::String)
    );
    let summary = model
        .projections
        .iter()
        .find(|p| p.name == "OrderSummary")
        .unwrap();
    assert!(summary.indexes.contains(&ir::Index {
        equal: vec!["lines[].product_id".into()],
        order: None,
    }));
}

#[test]
fn a_list_reaches_only_into_value_objects_and_compares_only_plain_values() {
    let refused = |list_by: &str| {
        let query = format!("  q: {{ projection: StockLevel, list_by: {list_by} }}");
        let d = only(&warehouse(&query));
        (d.column, d.message)
    };
    assert_eq!(
        refused("location.row"),
        (41, "value object `Location` has no field `row`".to_owned())
    );
    assert_eq!(
        refused("name.first"),
        (
            41,
            "`name.first` is `string`, which has no field `first`".to_owned()
        )
    );
    assert_eq!(
        refused("location"),
        (
            41,
            "cannot list by `location`, which is `Location`".to_owned()
        )
    );
    assert_eq!(
        refused("tags.first"),
        (
            41,
            "`tags.first` is `list<string>`, which has no field `first`".to_owned()
        )
    );
}

#[test]
fn count_by_groups_rows_and_sums_numbers() {
    let model = example("inventory.yaml");
    let query = model
        .queries
        .iter()
        .find(|q| q.name == "stock_per_unit")
        .unwrap();
    let ir::QueryKind::Count { by, sums } = &query.kind else {
        panic!("{:?}", query.kind)
    };
    assert_eq!(
        (by.name.as_str(), sums[0].name.as_str()),
        ("unit", "on_hand")
    );
    assert_eq!(
        model.projections[0].summaries,
        [ir::Summary {
            by: "unit".into(),
            sums: vec!["on_hand".into()]
        }]
    );

    let refused = |query: &str, stores: Option<&str>| at(&only(&carts(query, stores)));
    assert_eq!(
        refused(
            "  q: { projection: CartView, count_by: status, sum: [status] }",
            None
        ),
        "40:54 cannot sum `status` (`Status`)"
    );
    assert_eq!(
        refused(
            "  q: { projection: CartView, count_by: status, sum: [price] }",
            None
        ),
        "40:54 cannot sum `price` (`decimal`)"
    );
    model_of_postgres_sums_decimals();
    assert_eq!(
        refused("  q: { projection: CartView, count_by: closed }", None),
        "40:40 cannot count by `closed`, which is `optional<date>`"
    );
    assert_eq!(
        refused(
            "  q: { projection: CartView, count_by: open }",
            Some("stores: { read: cassandra }")
        ),
        "41:40 Cassandra cannot serve `count_by: open` well: a `bool` puts every row in one of two partitions, which grow without bound and cannot be spread over the cluster"
    );
    assert_eq!(
        refused(
            "  q: { projection: CartView, list_by: status, sum: [total] }",
            None
        ),
        "40:52 `sum` adds fields up per group of `count_by`, and this query has none"
    );
    assert_eq!(
        refused(
            "  q: { projection: CartView, count_by: status, order_by: total }",
            None
        ),
        "40:58 a `count_by` query answers groups, in the order of their value"
    );
}

fn model_of_postgres_sums_decimals() {
    let model = model(&carts(
        "  q: { projection: CartView, count_by: status, sum: [price, total] }",
        Some("stores: { read: postgres }"),
    ));
    assert!(matches!(&model.queries[0].kind, ir::QueryKind::Count { sums, .. } if sums.len() == 2));
}

#[test]
fn a_query_may_not_take_the_name_of_another_ones_watch() {
    let clash = CART.replace(
        "  cart: { projection: CartView, get_by: cart_id }\n",
        "  cart: { projection: CartView, get_by: cart_id }\n  cart_watch: { projection: CartView, get_by: cart_id }\n",
    );
    let d = only(&clash);
    assert_eq!(
        at(&d),
        "37:3 `cart_watch` is the name of the `_watch` route query `cart` serves already"
    );
}
