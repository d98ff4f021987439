//! Creating the service's topics when they are missing.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::types::RDKafkaErrorCode;
use tokio::sync::Mutex;

use super::{KafkaConfig, KafkaError};

/// Creates topics once each, with the configured partitions and replicas; a topic that exists
/// already is left as it is.
pub(super) struct Topics {
    /// Shared with the threads that make its blocking calls.
    admin: Arc<AdminClient<DefaultClientContext>>,
    config: KafkaConfig,
    known: Mutex<HashSet<String>>,
}

impl Topics {
    /// The sink and every subscription make this client before their own: settings that
    /// cannot work are refused here, once for each.
    pub(super) fn new(config: &KafkaConfig) -> Result<Self, KafkaError> {
        config.check()?;
        let admin = config
            .client()
            .create()
            .map_err(|source| KafkaError::Client {
                brokers: config.brokers.clone(),
                source,
            })?;
        Ok(Self {
            admin: Arc::new(admin),
            config: config.clone(),
            known: Mutex::default(),
        })
    }

    /// Whether a broker answers a metadata request within `within`, asked through this
    /// client: a readiness probe opens no connection of its own.
    pub(super) async fn ping(&self, within: Duration) -> rdkafka::error::KafkaResult<()> {
        let admin = Arc::clone(&self.admin);
        tokio::task::spawn_blocking(move || admin.inner().fetch_metadata(None, within).map(drop))
            .await
            .unwrap_or(Err(rdkafka::error::KafkaError::Canceled))
    }

    pub(super) async fn ensure(&self, topics: &[String]) -> Result<(), KafkaError> {
        let mut known = self.known.lock().await;
        let missing: Vec<&String> = topics.iter().filter(|t| !known.contains(*t)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        let new: Vec<NewTopic<'_>> = missing
            .iter()
            .map(|topic| {
                NewTopic::new(
                    topic,
                    self.config.partitions,
                    TopicReplication::Fixed(self.config.replication),
                )
            })
            .collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let results = self
            .admin
            .create_topics(&new, &options)
            .await
            .map_err(|source| KafkaError::Client {
                brokers: self.config.brokers.clone(),
                source,
            })?;
        for result in results {
            match result {
                Ok(topic) | Err((topic, RDKafkaErrorCode::TopicAlreadyExists)) => {
                    known.insert(topic);
                }
                Err((topic, code)) => {
                    return Err(KafkaError::Topic {
                        brokers: self.config.brokers.clone(),
                        topic,
                        reason: code.to_string(),
                    });
                }
            }
        }
        Ok(())
    }
}
