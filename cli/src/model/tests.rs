//! Unit tests of the loader and validator: one per kind of problem, each pinning the message and
//! the exact line:column.

mod aggregates;
mod copies;
mod dependencies;
mod facts;
mod indentation;
mod names;
mod personal;
mod projections;
mod queries;
mod roles;
mod tenancy;
mod types;
mod values;
mod workflows;

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
            "PayOrder",
            "ShipOrder",
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
    assert_eq!(
        model.projections[1].indexes,
        [
            ir::Index::by("customer_id"),
            ir::Index {
                equal: vec!["customer_id".into(), "status".into()],
                order: Some("placed_at".into()),
            }
        ]
    );
    let summary = &model.projections[0];
    assert_eq!(summary.handlers[0].aggregate, "Order");
    assert_eq!(summary.aggregates, ["Order"]);
    assert_eq!(summary.key, order.id);
    assert_eq!(summary.handlers[0].key, ir::RowKey::AggregateId);
    // OrderHistory leaves the item events aside.
    let ignored: Vec<&str> = model.projections[1]
        .ignored
        .iter()
        .map(|i| i.event.name.as_str())
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
    assert_eq!(stock.indexes[0], ir::Index::by("unit"));
    assert_eq!(item.persistence, ir::Persistence::StateStored);
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
