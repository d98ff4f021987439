use std::fmt;

use rdkafka::config::ClientConfig;

use super::{KafkaError, KafkaSecurity};
use crate::tenant::Tenant;

/// Where Kafka is and how the service's topics are named and created.
#[derive(Clone)]
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
    /// TLS and SASL: how the clients protect their connections and prove who they are.
    pub security: KafkaSecurity,
    /// Further librdkafka settings for every client, applied last. `Debug` hides the values
    /// of those that look secret.
    pub client_settings: Vec<(String, String)>,
}

impl fmt::Debug for KafkaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let settings: Vec<(&str, &str)> = self
            .client_settings
            .iter()
            .map(|(key, value)| {
                let secret = ["password", "secret", "jaas", "token"]
                    .iter()
                    .any(|word| key.contains(word));
                (key.as_str(), if secret { "[REDACTED]" } else { value })
            })
            .collect();
        f.debug_struct("KafkaConfig")
            .field("brokers", &self.brokers)
            .field("topic_prefix", &self.topic_prefix)
            .field("partitions", &self.partitions)
            .field("replication", &self.replication)
            .field("security", &self.security)
            .field("client_settings", &settings)
            .finish()
    }
}

impl KafkaConfig {
    /// Three partitions, one replica.
    pub fn new(brokers: impl Into<String>, topic_prefix: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            topic_prefix: topic_prefix.into(),
            partitions: 3,
            replication: 1,
            security: KafkaSecurity::default(),
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

    /// The outbox relay's transactional id: one relay publishes under it at a time, and a relay
    /// that starts fences off the one before it. The prefix keeps services (and tenants)
    /// sharing a cluster apart, as it does their topics.
    pub fn transactional_id(&self) -> String {
        format!("{}outbox-relay", self.topic_prefix)
    }

    /// The consumer group of a projection's projectors.
    pub fn group(&self, projection: &str) -> String {
        format!("{}{projection}", self.topic_prefix)
    }

    /// Refuses settings that cannot work or would expose a password.
    pub(super) fn check(&self) -> Result<(), KafkaError> {
        self.security
            .check()
            .map_err(|reason| KafkaError::Settings {
                brokers: self.brokers.clone(),
                reason,
            })
    }

    pub(super) fn client(&self) -> ClientConfig {
        let mut client = ClientConfig::new();
        client.set("bootstrap.servers", &self.brokers);
        self.security.apply(&mut client);
        for (key, value) in &self.client_settings {
            client.set(key, value);
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secret_client_settings() {
        let config = KafkaConfig {
            client_settings: vec![
                ("sasl.password".to_owned(), "hunter2".to_owned()),
                ("linger.ms".to_owned(), "5".to_owned()),
            ],
            ..KafkaConfig::new("127.0.0.1:9092", "shop.")
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("linger.ms") && shown.contains("\"5\""),
            "{shown}"
        );
    }
}
