//! eventwright's command path: the dispatcher on the PostgreSQL or SQLite event store.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use async_trait::async_trait;
use eventwright::bus::InProcBus;
use eventwright::store::EventStore;
use eventwright::store::postgres::{self, PostgresEventStore, Retry};
use eventwright::store::sqlite::{self, SqliteEventStore};
use eventwright::{DispatchError, Dispatcher, Metadata};

use super::Contender;
use crate::domain::{Bump, Start};
use crate::workload::Target;

pub struct Ours {
    store: &'static str,
    events: Arc<dyn EventStore>,
    dispatcher: Dispatcher,
}

impl Ours {
    pub async fn postgres(url: &str, pool: u32) -> anyhow::Result<Self> {
        let scoped = postgres::scratch_schema(url).await?;
        let pool = postgres::connect(&scoped, pool, Retry::default()).await?;
        Self::new("postgres", Arc::new(PostgresEventStore::new(pool))).await
    }

    pub async fn sqlite(file: &Path) -> anyhow::Result<Self> {
        let pool = sqlite::connect(&format!("sqlite://{}", file.display())).await?;
        Self::new("sqlite", Arc::new(SqliteEventStore::new(pool))).await
    }

    async fn new(store: &'static str, events: Arc<dyn EventStore>) -> anyhow::Result<Self> {
        events.prepare().await?;
        let bus = Arc::new(InProcBus::new(Arc::clone(&events)));
        Ok(Self {
            store,
            dispatcher: Dispatcher::new(Arc::clone(&events), bus),
            events,
        })
    }
}

#[async_trait]
impl Contender for Ours {
    fn name(&self) -> &'static str {
        "eventwright"
    }

    fn store(&self) -> &'static str {
        self.store
    }

    async fn preload(&self, aggregates: usize, history: u64) -> anyhow::Result<()> {
        super::preload_eventwright(self.events.as_ref(), aggregates, history).await
    }

    async fn command(&self, target: &Target) -> anyhow::Result<()> {
        let metadata = Metadata::default;
        match target {
            Target::New(id) => {
                self.dispatcher
                    .dispatch(Start { id: id.clone() }, metadata())
                    .await?;
            }
            Target::Existing(id) => {
                let bump = || Bump { id: id.clone() };
                match self.dispatcher.dispatch(bump(), metadata()).await {
                    Err(DispatchError::NotFound { .. }) => {
                        // The first command on a hot aggregate starts it; a racing one may
                        // have started it already.
                        match self
                            .dispatcher
                            .dispatch(Start { id: id.clone() }, metadata())
                            .await
                        {
                            Ok(_) | Err(DispatchError::AlreadyExists { .. }) => {}
                            Err(error) => return Err(error).context("starting"),
                        }
                        self.dispatcher.dispatch(bump(), metadata()).await?;
                    }
                    other => {
                        other?;
                    }
                }
            }
        }
        Ok(())
    }
}
