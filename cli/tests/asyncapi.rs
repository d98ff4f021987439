//! The `asyncapi.json` of every Kafka stack is a valid AsyncAPI 3.0 document, and it describes
//! what the relay really publishes: one channel per aggregate at the topic the runtime names,
//! one message per event with the envelope around the event's fields.

use std::path::Path;

use eventwright_cli::model;
use eventwright_cli::model::ir::Broker;
use eventwright_cli::render::{Options, RuntimeSource, render};
use serde_json::Value;

fn asyncapi(example: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(example);
    let mut model = model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
    model.stores.broker = Broker::Kafka;
    let options = Options {
        runtime: RuntimeSource::Path("/path/to/eventwright/runtime".into()),
        model_source: String::new(),
    };
    let files = render(&model, &options).expect("the model renders");
    let file = files
        .iter()
        .find(|file| file.path == Path::new("asyncapi.json"))
        .expect("a Kafka stack has an asyncapi.json");
    serde_json::from_str(&file.contents).expect("asyncapi.json is JSON")
}

fn validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/asyncapi-3.0.0.schema.json")).unwrap();
    jsonschema::draft7::new(&schema).expect("the AsyncAPI schema compiles")
}

#[test]
fn every_example_is_a_valid_asyncapi_3_document() {
    let validator = validator();
    for example in ["ordering.yaml", "inventory.yaml"] {
        let document = asyncapi(example);
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{example}: {errors:#?}");
    }
    // The check has teeth: a document that is not AsyncAPI 3 fails it.
    let mut broken = asyncapi("ordering.yaml");
    broken["channels"]["Order"]["address"] = Value::from(42);
    assert!(!validator.is_valid(&broken));
}

#[test]
fn channels_and_messages_match_what_the_relay_publishes() {
    let document = asyncapi("ordering.yaml");
    let order = &document["channels"]["Order"];
    assert_eq!(order["address"], "ordering.Order");
    let placed = &document["components"]["messages"]["Order.OrderPlaced"];
    assert_eq!(
        placed["headers"]["properties"]["event_type"]["const"],
        "OrderPlaced"
    );
    let payload = &placed["payload"]["properties"];
    for field in [
        "event_id",
        "aggregate_type",
        "aggregate_id",
        "sequence",
        "position",
        "event_type",
        "event_version",
        "timestamp",
        "metadata",
        "payload",
    ] {
        assert!(payload.get(field).is_some(), "the envelope has {field}");
    }
    assert_eq!(
        payload["payload"]["required"],
        serde_json::json!(["customer_id", "placed_at"]),
        "OrderPlaced carries its customer and when it was placed"
    );
    assert_eq!(
        document["channels"]["dead-letter.order_summary"]["address"],
        "ordering.dead-letter.order_summary"
    );
}
