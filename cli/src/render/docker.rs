//! The project's `Dockerfile` and `.dockerignore`.

use askama::Template;

use super::names::shouty;
use crate::model::ir::{Broker, Model, ReadStore, WriteStore};

#[derive(Template)]
#[template(path = "Dockerfile", escape = "none")]
pub(super) struct Dockerfile<'a> {
    service: &'a str,
    env: String,
    kafka: bool,
    /// Whether the service links the system's OpenSSL: Kafka's and Cassandra's TLS do.
    openssl: bool,
    /// Whether a side keeps its data in SQLite files, in the image's working directory.
    sqlite: bool,
}

impl<'a> Dockerfile<'a> {
    pub(super) fn new(model: &'a Model) -> Self {
        Self {
            service: &model.service,
            env: shouty(&model.service),
            kafka: model.stores.broker == Broker::Kafka,
            openssl: model.stores.broker == Broker::Kafka
                || model.stores.read == ReadStore::Cassandra,
            sqlite: model.stores.write == WriteStore::Sqlite
                || model.stores.read == ReadStore::Sqlite,
        }
    }
}

#[derive(Template)]
#[template(path = "dockerignore", escape = "none")]
pub(super) struct DockerIgnore;
