//! `src/kafka.rs`: Kafka's settings, from the command line or the environment.

use askama::Template;

use super::layout;
use super::names::shouty;
use crate::model::ir::Model;

/// The `#[arg(...)]` of each Kafka setting.
struct KafkaSettings {
    brokers: String,
    topic_prefix: String,
    partitions: String,
    replication: String,
    tls: String,
    tls_ca: String,
    tls_certificate: String,
    tls_key: String,
    tls_key_password: String,
    sasl_mechanism: String,
    sasl_username: String,
    sasl_password: String,
}

#[derive(Template)]
#[template(path = "src/kafka.rs")]
pub(super) struct KafkaRs {
    kafka: KafkaSettings,
}

impl KafkaRs {
    pub(super) fn new(model: &Model) -> Self {
        let env = shouty(&model.service);
        let attribute = |name: &str, rest: Vec<String>| {
            let mut args = vec!["long".to_owned(), format!("env = \"{env}_{name}\"")];
            if name.ends_with("PASSWORD") {
                // `--help` shows where a password comes from, never the password itself, and
                // `Debug` shows it as `[REDACTED]`.
                args.push("hide_env_values = true".to_owned());
                args.push("value_parser = secret".to_owned());
            }
            args.extend(rest);
            layout::attribute("arg", &args, 4)
        };
        let default = |name: &str, value: String| attribute(name, vec![value]);
        let optional = |name: &str| attribute(name, Vec::new());
        Self {
            kafka: KafkaSettings {
                brokers: default(
                    "KAFKA_BROKERS",
                    format!("default_value = {:?}", "127.0.0.1:9092"),
                ),
                topic_prefix: default(
                    "KAFKA_TOPIC_PREFIX",
                    format!("default_value = {:?}", format!("{}.", model.service)),
                ),
                partitions: default("KAFKA_PARTITIONS", "default_value_t = 3".to_owned()),
                replication: default("KAFKA_REPLICATION", "default_value_t = 1".to_owned()),
                tls: optional("KAFKA_TLS"),
                tls_ca: optional("KAFKA_TLS_CA"),
                tls_certificate: attribute(
                    "KAFKA_TLS_CERTIFICATE",
                    vec!["requires = \"kafka_tls_key\"".to_owned()],
                ),
                tls_key: attribute(
                    "KAFKA_TLS_KEY",
                    vec!["requires = \"kafka_tls_certificate\"".to_owned()],
                ),
                tls_key_password: optional("KAFKA_TLS_KEY_PASSWORD"),
                sasl_mechanism: attribute(
                    "KAFKA_SASL_MECHANISM",
                    vec![
                        "requires_all = [\"kafka_sasl_username\", \"kafka_sasl_password\"]"
                            .to_owned(),
                    ],
                ),
                sasl_username: attribute(
                    "KAFKA_SASL_USERNAME",
                    vec!["requires = \"kafka_sasl_mechanism\"".to_owned()],
                ),
                sasl_password: attribute(
                    "KAFKA_SASL_PASSWORD",
                    vec!["requires = \"kafka_sasl_mechanism\"".to_owned()],
                ),
            },
        }
    }
}
