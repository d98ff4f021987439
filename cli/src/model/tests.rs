//! Unit tests of the loader and validator: one per kind of problem, each pinning the message and
//! the exact line:column.

use super::ir::{self, ChangeOp, Condition, Literal, Operand, Type};
use crate::diagnostic::Diagnostic;

/// A small valid model; tests replace one line of it to break it.
const CART: &str = "\
version: 1
service: shop
enums:
  Status: [Open, Closed]
aggregates:
  Cart:
    id: cart_id
    state:
      status: Status
      total: int
    commands:
      OpenCart:
        creates: true
        fields:
          total: { type: int, min: 0 }
        emits: [CartOpened]
    events:
      CartOpened:
        fields:
          total: int
        apply:
          set: { total: total }
          set_const: { status: Open }
projections:
  CartView:
    key: cart_id
    fields:
      cart_id: uuid
      total: int
      status: Status
    on:
      CartOpened:
        set: { total: total }
        set_const: { status: Open }
queries:
  cart: { projection: CartView, get_by: cart_id }
";

/// `CART` with line `line` (1-based) replaced by `with` (which may hold several lines).
fn cart_with(line: usize, with: &str) -> String {
    let mut lines: Vec<&str> = CART.lines().collect();
    lines[line - 1] = with;
    lines.join("\n") + "\n"
}

fn errors(source: &str) -> Vec<Diagnostic> {
    match super::parse("model.yaml", source) {
        Ok(model) => panic!("expected errors, got {model:#?}"),
        Err(diagnostics) => diagnostics.items,
    }
}

/// The only error, as `line:column message`.
fn error(source: &str) -> String {
    let errors = errors(source);
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    at(&errors[0])
}

fn only(source: &str) -> Diagnostic {
    let mut errors = errors(source);
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    errors.remove(0)
}

fn at(d: &Diagnostic) -> String {
    format!("{}:{} {}", d.line, d.column, d.message)
}

fn model(source: &str) -> ir::Model {
    super::parse("model.yaml", source).unwrap_or_else(|d| panic!("{d}"))
}

fn example(name: &str) -> ir::Model {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name);
    super::load(&path).unwrap_or_else(|d| panic!("{d}"))
}

#[test]
fn the_base_model_validates() {
    let model = model(CART);
    assert_eq!(model.service, "shop");
    assert_eq!(
        model.stores,
        ir::Stores {
            write: ir::WriteStore::Sqlite,
            read: ir::ReadStore::Sqlite,
            broker: ir::Broker::Inproc
        }
    );
}

#[test]
fn ordering_example_validates() {
    let model = example("ordering.yaml");
    let order = &model.aggregates[0];
    assert_eq!(
        order
            .commands
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        [
            "PlaceOrder",
            "AddItem",
            "RemoveItem",
            "CheckOut",
            "CancelOrder"
        ]
    );
    let removed = order
        .events
        .iter()
        .find(|e| e.name == "ItemRemoved")
        .unwrap();
    let [
        ChangeOp::Remove {
            target,
            source,
            by_field: Some(by_field),
        },
    ] = removed.apply.as_slice()
    else {
        panic!("{:#?}", removed.apply);
    };
    assert_eq!(
        [&target.name, &source.name, &by_field.name],
        ["lines", "product_id", "product_id"]
    );
    // The field removed by is the value object's own.
    let Type::List(element) = &target.ty else {
        panic!("{target:?}");
    };
    assert_eq!(**element, Type::Value(model.values[0].clone()));
    assert_eq!(model.projections[1].indexed, ["customer_id"]);
    let summary = &model.projections[0];
    assert_eq!(summary.handlers[0].aggregate, "Order");
    assert_eq!(summary.aggregate.as_deref(), Some("Order"));
    assert_eq!(summary.key, order.id);
    assert_eq!(summary.handlers[0].key, ir::RowKey::AggregateId);
    // OrderHistory leaves the item events aside.
    let ignored: Vec<&str> = model.projections[1]
        .ignored
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(ignored, ["ItemAdded", "ItemRemoved"]);
    let query = &model.queries[0];
    assert!(std::sync::Arc::ptr_eq(&query.projection, summary));
    assert_eq!(
        query.kind,
        ir::QueryKind::Get {
            field: order.id.clone()
        }
    );
}

#[test]
fn inventory_example_validates() {
    let model = example("inventory.yaml");
    let item = &model.aggregates[0];
    assert_eq!(item.id.ty, Type::String);
    let ship = item
        .commands
        .iter()
        .find(|c| c.name == "ShipStock")
        .unwrap();
    assert_eq!(ship.guards[0].field.name, "on_hand");
    let Condition::AtLeast(Operand::Field(quantity)) = &ship.guards[0].condition else {
        panic!("{:?}", ship.guards[0].condition);
    };
    assert_eq!(
        (quantity.name.as_str(), &quantity.ty),
        ("quantity", &Type::Int)
    );
    let stock = &model.projections[0];
    let received = stock
        .handlers
        .iter()
        .find(|h| h.event.name == "StockReceived")
        .unwrap();
    assert!(received.changes.iter().any(|change| matches!(
        change,
        ChangeOp::Set { target, source, wrap_some: true }
            if target.name == "last_received" && source.name == "received_on"
    )));
    assert_eq!(stock.handlers.last().unwrap().changes, [ChangeOp::Delete]);
    assert_eq!(stock.indexed, ["unit"]);
    assert_eq!(item.persistence, ir::Persistence::StateStored);
}

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
fn unreadable_file_is_one_diagnostic_at_the_start() {
    let diagnostics = super::load(std::path::Path::new("/nonexistent/model.yaml")).unwrap_err();
    assert_eq!(diagnostics.items.len(), 1);
    assert_eq!(
        (diagnostics.items[0].line, diagnostics.items[0].column),
        (1, 1)
    );
    assert!(
        diagnostics.items[0]
            .message
            .starts_with("cannot read the model file")
    );
}

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
                ir::Source::AggregateId => None,
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
    assert_eq!(model.projections[0].indexed, ["status"]);
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
    assert_eq!(fine.projections[0].indexed, ["status"]);
}

#[test]
fn unknown_store() {
    let d = only(&cart_with(2, "service: shop\nstores: { read: sqllite }"));
    assert_eq!(at(&d), "3:17 unknown read store `sqllite`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `sqlite`?"));
}

#[test]
fn unknown_key_with_did_you_mean() {
    let d = only(&cart_with(2, "servce: shop"));
    assert_eq!(at(&d), "2:1 unknown key `servce`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `service`?"));
    let d = only(&cart_with(16, "        emit: [CartOpened]"));
    assert_eq!(at(&d), "16:9 unknown key `emit`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `emits`?"));
}

#[test]
fn unsupported_version() {
    assert_eq!(
        error(&cart_with(1, "version: 2")),
        "1:10 unsupported model version 2"
    );
}

#[test]
fn several_errors_at_once() {
    let source = cart_with(9, "      status: Statsu")
        .replace("emits: [CartOpened]", "emits: [CartOpend]")
        .replace("get_by: cart_id", "get_by: id");
    let found: Vec<String> = errors(&source).iter().map(at).collect();
    assert_eq!(
        found,
        [
            "9:15 unknown type `Statsu`",
            "16:17 command `OpenCart` emits `CartOpend`, which aggregate `Cart` does not declare",
            "36:41 projection `CartView` has no field `id`",
        ]
    );
}

#[test]
fn yaml_syntax_error() {
    let d = only(&cart_with(4, "  Status: [Open, Closed"));
    assert_eq!(at(&d), "5:11 illegal placement of ':' indicator");
}

#[test]
fn repeated_top_level_key_is_located() {
    assert_eq!(
        error(&cart_with(2, "service: shop\nservice: shop")),
        "3:1 duplicate key `service`"
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

#[test]
fn rendered_diagnostics() {
    let source = cart_with(9, "      status: Statsu")
        .replace("emits: [CartOpened]", "emits: [CartOpend]")
        .replace(
            "service: shop",
            "service: shop\nstores: { read: cassandrra }",
        );
    let diagnostics = super::parse("cart.yaml", &source).unwrap_err();
    insta::assert_snapshot!(diagnostics.to_string());
    insta::assert_snapshot!(
        "rendered_diagnostics_json",
        serde_json::to_string_pretty(&diagnostics.to_json()).unwrap()
    );
}

#[test]
fn projection_consuming_two_aggregates_is_refused() {
    let source = "\
version: 1
service: shop
aggregates:
  Cart:
    id: cart_id
    state: {}
    commands:
      OpenCart: { creates: true, emits: [CartOpened] }
    events:
      CartOpened: {}
  Wish:
    id: wish_id
    state: {}
    commands:
      MakeWish: { creates: true, emits: [WishMade] }
    events:
      WishMade: {}
projections:
  Everything:
    key: id
    fields: { id: uuid }
    on:
      CartOpened: {}
      WishMade: {}
";
    let found = errors(source);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        at(&found[0]),
        "24:7 projection `Everything` handles events of `Cart` and of `Wish`"
    );
}
