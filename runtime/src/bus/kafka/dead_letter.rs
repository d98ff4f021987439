//! Where a projection sets aside a record it can never apply: its dead-letter topic.

use std::time::Duration;

use rdkafka::Message as _;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, Headers as _, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord};

/// Publishes `message` as it came to `topic`, with headers saying where it came from and why
/// `projection` could not apply it; returns once Kafka has it.
pub(super) async fn publish(
    producer: &FutureProducer,
    topic: &str,
    projection: &str,
    message: &OwnedMessage,
    error: &str,
) -> Result<(), KafkaError> {
    let partition = message.partition().to_string();
    let offset = message.offset().to_string();
    let mut headers = OwnedHeaders::new();
    if let Some(original) = message.headers() {
        for header in original.iter() {
            headers = headers.insert(Header {
                key: header.key,
                value: header.value,
            });
        }
    }
    for (key, value) in [
        ("dead_letter.error", error),
        ("dead_letter.projection", projection),
        ("dead_letter.topic", message.topic()),
        ("dead_letter.partition", partition.as_str()),
        ("dead_letter.offset", offset.as_str()),
    ] {
        headers = headers.insert(Header {
            key,
            value: Some(value),
        });
    }
    let mut record = FutureRecord::to(topic).headers(headers);
    if let Some(key) = message.key() {
        record = record.key(key);
    }
    if let Some(payload) = message.payload() {
        record = record.payload(payload);
    }
    producer
        .send(record, Duration::from_secs(30))
        .await
        .map_err(|(source, _)| source)?;
    Ok(())
}
