//! Event versioning against a real store: events written at older versions load as the current
//! one through the upcaster chain, events newer than the code are refused, and the stored name,
//! not the Rust type name, is what ties stored events to their type.

use std::sync::Arc;

use chrono::Utc;
use eventwright::bus::InProcBus;
use eventwright::store::EventStore;
use eventwright::store::sqlite::{self, SqliteEventStore};
use eventwright::{Aggregate, Apply, DispatchError, Dispatcher, Event, Metadata, NewEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// v1 stored `{ "item": "..." }`; v2 renamed it to `sku`; v3 added `quantity`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ItemAdded {
    sku: String,
    quantity: u32,
}

fn item_added_v1_to_v2(mut payload: Value) -> Result<Value, String> {
    let item = payload
        .as_object_mut()
        .and_then(|fields| fields.remove("item"))
        .ok_or("no `item` field")?;
    payload["sku"] = item;
    Ok(payload)
}

fn item_added_v2_to_v3(mut payload: Value) -> Result<Value, String> {
    payload["quantity"] = json!(1);
    Ok(payload)
}

#[derive(Debug, Clone, PartialEq, Event)]
enum CartEvent {
    #[event(
        name = "ItemAdded",
        version = 3,
        upcast(from = 1, with = item_added_v1_to_v2),
        upcast(from = 2, with = item_added_v2_to_v3)
    )]
    ItemAdded(ItemAdded),
}

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = CartEvent, snapshot_every = 100)]
struct Cart {
    items: Vec<ItemAdded>,
}

impl Apply<ItemAdded> for Cart {
    fn apply(&mut self, event: &ItemAdded) {
        self.items.push(event.clone());
    }
}

fn stored(
    aggregate_type: &str,
    sequence: u64,
    event_type: &str,
    event_version: u32,
    payload: Value,
) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        aggregate_type: aggregate_type.to_owned(),
        aggregate_id: "c-1".to_owned(),
        sequence,
        event_type: event_type.to_owned(),
        event_version,
        timestamp: Utc::now(),
        metadata: Metadata::default(),
        payload,
        tags: Vec::new(),
    }
}

async fn store_with(events: Vec<NewEvent>) -> Dispatcher {
    let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::new(
        sqlite::connect("sqlite::memory:").await.unwrap(),
    ));
    store.prepare().await.unwrap();
    store.append(events).await.unwrap();
    Dispatcher::new(Arc::clone(&store), Arc::new(InProcBus::new(store)))
}

#[tokio::test]
async fn events_stored_at_every_older_version_load_as_the_current_one() {
    let dispatcher = store_with(vec![
        stored("Cart", 1, "ItemAdded", 1, json!({ "item": "apple" })),
        stored("Cart", 2, "ItemAdded", 2, json!({ "sku": "pear" })),
        stored(
            "Cart",
            3,
            "ItemAdded",
            3,
            json!({ "sku": "fig", "quantity": 4 }),
        ),
    ])
    .await;
    let (cart, version) = dispatcher.load::<Cart>("c-1").await.unwrap();
    let item = |sku: &str, quantity| ItemAdded {
        sku: sku.to_owned(),
        quantity,
    };
    assert_eq!(
        cart.items,
        [item("apple", 1), item("pear", 1), item("fig", 4)]
    );
    assert_eq!(version, 3);
    assert_eq!(Cart::SNAPSHOT_EVERY, Some(100));
}

#[tokio::test]
async fn an_event_newer_than_the_code_is_a_decode_error() {
    let dispatcher = store_with(vec![stored(
        "Cart",
        1,
        "ItemAdded",
        4,
        json!({ "sku": "kiwi", "quantity": 1, "gift": true }),
    )])
    .await;
    let Err(DispatchError::Decode(error)) = dispatcher.load::<Cart>("c-1").await else {
        panic!("expected a decode error")
    };
    assert_eq!(
        (error.event_type.as_str(), error.event_version),
        ("ItemAdded", 4)
    );
    assert_eq!(
        error.reason,
        "stored by newer code: v3 is the latest version this code knows"
    );
}

#[tokio::test]
async fn a_failing_upcaster_names_the_step() {
    let dispatcher = store_with(vec![stored("Cart", 1, "ItemAdded", 1, json!({}))]).await;
    let Err(DispatchError::Decode(error)) = dispatcher.load::<Cart>("c-1").await else {
        panic!("expected a decode error")
    };
    assert_eq!(
        error.reason,
        "upcasting from v1 to v2 failed: no `item` field"
    );
}

/// The same stored event, read by code in which its Rust type has another name.
mod renamed {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
    #[event(name = "Greeted")]
    pub struct SaidHello {
        pub to: String,
    }

    #[derive(Debug, Default, Aggregate)]
    #[aggregate(id = String, event = SaidHello, name = "Greeter")]
    pub struct Greeter {
        pub greeted: Vec<String>,
    }

    impl Apply<SaidHello> for Greeter {
        fn apply(&mut self, event: &SaidHello) {
            self.greeted.push(event.to.clone());
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
#[event(name = "Greeted")]
struct Greeted {
    to: String,
}

#[tokio::test]
async fn a_renamed_rust_type_still_loads_its_stored_events() {
    let before = Greeted {
        to: "Ada".to_owned(),
    };
    let dispatcher = store_with(vec![stored(
        "Greeter",
        1,
        before.event_type(),
        before.event_version(),
        before.encode().unwrap(),
    )])
    .await;
    let (greeter, _) = dispatcher.load::<renamed::Greeter>("c-1").await.unwrap();
    assert_eq!(greeter.greeted, ["Ada"]);
}
