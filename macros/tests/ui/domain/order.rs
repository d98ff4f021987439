// A small order domain using every derive and every attribute key, exercised at run time.

use eventwright::{
    Aggregate, Apply, Change, Command, Commands, Event, EventEnvelope, Handle, Project, Projection,
    Rejection, ValidationErrors,
};
use eventwright::projection::{Joined, Rows};
use eventwright::table::{ColumnDef, ColumnType, TableSchema};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPlaced {
    pub customer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemAdded {
    pub sku: String,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderShipped {}

/// v1 called the customer `client`.
fn placed_v1_to_v2(mut payload: serde_json::Value) -> Result<serde_json::Value, String> {
    let client = payload.as_object_mut().and_then(|fields| fields.remove("client")).ok_or("no `client` field")?;
    payload["customer"] = client;
    Ok(payload)
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum OrderEvent {
    #[event(name = "OrderPlaced", version = 2, upcast(from = 1, with = placed_v1_to_v2))]
    Placed(OrderPlaced),
    ItemAdded(ItemAdded),
    #[event(name = "OrderShipped")]
    Shipped(OrderShipped),
}

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = OrderEvent, snapshot_every = 50)]
pub struct Order {
    placed: bool,
    items: u32,
    shipped: bool,
}

impl Apply<OrderPlaced> for Order {
    fn apply(&mut self, _: &OrderPlaced) {
        self.placed = true;
    }
}

impl Apply<ItemAdded> for Order {
    fn apply(&mut self, event: &ItemAdded) {
        self.items += event.quantity;
    }
}

impl Apply<OrderShipped> for Order {
    fn apply(&mut self, _: &OrderShipped) {
        self.shipped = true;
    }
}

#[derive(Debug, Command, garde::Validate)]
#[command(aggregate = Order, creates, validate)]
pub struct PlaceOrder {
    #[garde(skip)]
    pub id: String,
    #[garde(length(min = 1))]
    pub customer: String,
}

#[derive(Debug, Command)]
#[command(aggregate = Order, name = "add_line", retries = 5)]
pub struct AddItem {
    #[command(id)]
    pub order_id: String,
    pub sku: String,
    pub quantity: u32,
}

/// One endpoint can take any of the order's commands.
#[derive(Debug, Command)]
pub enum OrderCommand {
    Place(PlaceOrder),
    Add(AddItem),
}

impl Handle<PlaceOrder> for Order {
    fn handle(&self, command: &PlaceOrder) -> Result<Vec<OrderEvent>, Rejection> {
        Ok(vec![OrderPlaced { customer: command.customer.clone() }.into()])
    }
}

impl Handle<AddItem> for Order {
    fn handle(&self, command: &AddItem) -> Result<Vec<OrderEvent>, Rejection> {
        if self.shipped {
            return Err(Rejection::guard("already shipped"));
        }
        Ok(vec![ItemAdded { sku: command.sku.clone(), quantity: command.quantity }.into()])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Projection)]
#[projection(event = OrderEvent, key = order_id, table = "order_summaries", ignore(OrderShipped))]
pub struct OrderSummary {
    pub order_id: String,
    #[projection(index)]
    pub customer: String,
    pub items: i64,
    pub r#type: Option<String>,
}

impl Project<OrderPlaced> for OrderSummary {
    fn project(_: Option<Self>, event: &OrderPlaced, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(OrderSummary {
            order_id: envelope.aggregate_id.clone(),
            customer: event.customer.clone(),
            items: 0,
            r#type: None,
        })
    }
}

impl Project<ItemAdded> for OrderSummary {
    fn key(event: &ItemAdded, _: &EventEnvelope) -> serde_json::Value {
        json!(event.sku)
    }

    fn project(row: Option<Self>, event: &ItemAdded, _: &EventEnvelope) -> Change<Self> {
        match row {
            Some(row) => Change::Upsert(OrderSummary { items: row.items + i64::from(event.quantity), ..row }),
            None => Change::Keep,
        }
    }
}

/// A struct is an event of a single kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "Pinged", version = 3)]
pub struct Ping {
    pub count: u32,
}

#[derive(Debug, Default, Aggregate)]
#[aggregate(id = u64, event = Ping, name = "pinger")]
pub struct Pinger {
    count: u32,
}

impl Apply<Ping> for Pinger {
    fn apply(&mut self, event: &Ping) {
        self.count += event.count;
    }
}

fn envelope(event_type: &str) -> EventEnvelope {
    serde_json::from_value(json!({
        "event_id": "00000000-0000-0000-0000-000000000000",
        "aggregate_type": "Order",
        "aggregate_id": "o-1",
        "sequence": 1,
        "position": 1,
        "event_type": event_type,
        "event_version": 1,
        "timestamp": "2024-01-01T00:00:00Z",
        "metadata": {},
        "payload": {},
    }))
    .unwrap()
}

fn main() {
    // Event: names, versions, encoding, decoding.
    assert_eq!(OrderEvent::NAMES, ["OrderPlaced", "ItemAdded", "OrderShipped"]);
    let placed = OrderEvent::from(OrderPlaced { customer: "ada".into() });
    assert_eq!((placed.event_type(), placed.event_version()), ("OrderPlaced", 2));
    assert_eq!(placed.encode().unwrap(), json!({ "customer": "ada" }));
    assert_eq!(OrderEvent::decode("OrderPlaced", 2, json!({ "customer": "ada" })).unwrap(), Some(placed.clone()));
    assert_eq!(OrderEvent::decode("Unknown", 1, json!({})).unwrap(), None);
    assert_eq!(OrderEvent::decode("OrderPlaced", 1, json!({ "client": "ada" })).unwrap(), Some(placed.clone()));
    let error = OrderEvent::decode("OrderPlaced", 1, json!({})).unwrap_err();
    assert_eq!(error.reason, "upcasting from v1 to v2 failed: no `client` field");
    let error = OrderEvent::decode("OrderPlaced", 3, json!({ "customer": "ada" })).unwrap_err();
    assert_eq!(error.reason, "stored by newer code: v2 is the latest version this code knows");
    let error = OrderEvent::decode("OrderShipped", 0, json!({})).unwrap_err();
    assert_eq!(error.reason, "no upcaster from this version: the oldest version this code reads is v1");
    assert!(OrderEvent::decode("ItemAdded", 1, json!({ "sku": 1 })).is_err());
    assert_eq!(Ping::NAMES, ["Pinged"]);
    assert_eq!(Ping { count: 1 }.event_type(), "Pinged");
    assert_eq!(Ping::decode("Pinged", 3, json!({ "count": 2 })).unwrap(), Some(Ping { count: 2 }));
    assert_eq!(Ping::decode("Other", 3, json!({})).unwrap(), None);

    // Aggregate: every kind reaches its Apply impl.
    assert_eq!((Order::TYPE, Order::SNAPSHOT_EVERY, Pinger::SNAPSHOT_EVERY), ("Order", Some(50), None));
    let mut order = Order::default();
    for event in [placed, ItemAdded { sku: "x".into(), quantity: 2 }.into(), OrderShipped {}.into()] {
        order.apply_event(&event);
    }
    assert!(order.placed && order.shipped && order.items == 2);
    let mut pinger = Pinger::default();
    pinger.apply_event(&Ping { count: 4 });
    assert_eq!((Pinger::TYPE, pinger.count), ("pinger", 4));

    // Command: names, flags, the id field, validation through garde.
    let place = PlaceOrder { id: "o-1".into(), customer: String::new() };
    assert_eq!((PlaceOrder::NAME, PlaceOrder::CREATES, PlaceOrder::RETRIES_ON_CONFLICT), ("place_order", true, 3));
    assert_eq!(place.aggregate_id(), "o-1");
    let errors: ValidationErrors = place.validate().unwrap_err();
    assert_eq!(errors.first_field(), Some("customer"));
    let add = AddItem { order_id: "o-2".into(), sku: "x".into(), quantity: 1 };
    assert_eq!((AddItem::NAME, AddItem::CREATES, AddItem::RETRIES_ON_CONFLICT), ("add_line", false, 5));
    assert_eq!(add.aggregate_id(), "o-2");
    assert!(add.validate().is_ok());
    assert_eq!(order.handle(&add), Err(Rejection::guard("already shipped")));
    assert_eq!(OrderCommand::from(add).name(), "add_line");
    assert_eq!(OrderCommand::Place(place).name(), "place_order");

    // Projection: schema, keys, changes, ignored kinds.
    assert_eq!(OrderSummary::NAME, "order_summary");
    let column = |name, ty, nullable| ColumnDef { name, ty, nullable };
    let schema: TableSchema = OrderSummary::SCHEMA;
    assert_eq!((schema.name, schema.key), ("order_summaries", "order_id"));
    assert!(schema.indexes[0].is_by("customer"));
    assert_eq!(
        schema.columns,
        [
            column("order_id", ColumnType::String, false),
            column("customer", ColumnType::String, false),
            column("items", ColumnType::Int, false),
            column("type", ColumnType::String, true),
        ]
    );
    let env = envelope("OrderPlaced");
    let placed = OrderEvent::from(OrderPlaced { customer: "ada".into() });
    assert_eq!(OrderSummary::changed_rows(&placed, &env), Rows::Key(json!("o-1")));
    let Change::Upsert(row) = OrderSummary::project_event(None, &placed, &env, &Joined::none()) else { panic!("expected a row") };
    let added = OrderEvent::from(ItemAdded { sku: "x".into(), quantity: 3 });
    assert_eq!(OrderSummary::changed_rows(&added, &env), Rows::Key(json!("x")));
    let Change::Upsert(row) = OrderSummary::project_event(Some(row), &added, &env, &Joined::none()) else { panic!("expected a row") };
    assert_eq!(row.items, 3);
    assert_eq!(OrderSummary::project_event(Some(row), &OrderShipped {}.into(), &env, &Joined::none()), Change::Keep);
}
