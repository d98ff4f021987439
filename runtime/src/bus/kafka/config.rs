use rdkafka::config::ClientConfig;

use crate::tenant::Tenant;

/// Where Kafka is and how the service's topics are named and created.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `host:port` of one or more brokers, comma-separated.
    pub brokers: String,
    /// Put before each aggregate type to name its topic, e.g. `ordering.` → `ordering.Order`.
    pub topic_prefix: String,
    /// Partitions of a topic the service creates: the most projector processes of one
    /// projection that can share its work.
    pub partitions: i32,
    /// Replicas of a topic the service creates.
    pub replication: i32,
    /// Further librdkafka settings for every client, e.g. `security.protocol`.
    pub client_settings: Vec<(String, String)>,
}

impl KafkaConfig {
    /// Three partitions, one replica.
    pub fn new(brokers: impl Into<String>, topic_prefix: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            topic_prefix: topic_prefix.into(),
            partitions: 3,
            replication: 1,
            client_settings: Vec::new(),
        }
    }

    /// The tenant's own topics, consumer groups and dead letters: the prefix followed by the
    /// tenant's name (`stock.` → `stock.north.`), so that no consumer of one tenant's events is
    /// given another's.
    pub fn for_tenant(&self, tenant: &Tenant) -> Self {
        Self {
            topic_prefix: format!("{}{tenant}.", self.topic_prefix),
            ..self.clone()
        }
    }

    /// The topic of an aggregate type's events.
    pub fn topic(&self, aggregate_type: &str) -> String {
        format!("{}{aggregate_type}", self.topic_prefix)
    }

    /// Where a projection's poison events go, with the error that stopped them.
    pub fn dead_letter_topic(&self, projection: &str) -> String {
        format!("{}dead-letter.{projection}", self.topic_prefix)
    }

    /// The consumer group of a projection's projectors.
    pub fn group(&self, projection: &str) -> String {
        format!("{}{projection}", self.topic_prefix)
    }

    pub(super) fn client(&self) -> ClientConfig {
        let mut client = ClientConfig::new();
        client.set("bootstrap.servers", &self.brokers);
        for (key, value) in &self.client_settings {
            client.set(key, value);
        }
        client
    }
}
