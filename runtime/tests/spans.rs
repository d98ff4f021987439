//! Tracing across the command path. A command is committed by its aggregate's worker, apart from
//! the request that sent it; what the worker logs must still carry that request's span.
//!
//! A binary of its own: tracing caches process-wide whether anyone listens at a call site, so a
//! test running beside this one without a subscriber could switch its spans off.

use std::sync::Arc;

use eventwright::bus::{BusError, EventBus};
use eventwright::store::sqlite::{self, SqliteEventStore};
use eventwright::store::{Cursor, EventStore};
use eventwright::{Dispatcher, Metadata};

mod common;

use common::Start;

/// A bus that is down: every publish fails, so the command's worker logs a warning.
#[derive(Debug)]
struct DownBus;

#[async_trait::async_trait]
impl EventBus for DownBus {
    async fn publish(&self, _: &[eventwright::EventEnvelope]) -> Result<(), BusError> {
        Err(BusError("the broker is down".into()))
    }

    async fn subscribe(
        &self,
        _: &str,
        _: Cursor,
    ) -> Result<Box<dyn eventwright::bus::Subscription>, BusError> {
        Err(BusError("the broker is down".into()))
    }
}

/// Log lines written to memory, for a test to read.
#[derive(Clone, Default)]
struct Logs(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A failed publish, logged by the worker, names the request it was for.
#[tokio::test]
async fn what_a_command_worker_logs_carries_the_span_of_the_request() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let events: Arc<dyn EventStore> = Arc::new(SqliteEventStore::new(
        sqlite::connect("sqlite::memory:").await.unwrap(),
    ));
    events.prepare().await.unwrap();
    let dispatcher = Dispatcher::new(events, Arc::new(DownBus));

    let request = tracing::info_span!("request", correlation_id = "corr-42");
    tracing::Instrument::instrument(
        dispatcher.dispatch(
            Start {
                id: "logged".into(),
            },
            Metadata::default(),
        ),
        request,
    )
    .await
    .unwrap();

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let warning = logs
        .lines()
        .find(|line| line.contains("publishing committed events failed"))
        .unwrap_or_else(|| panic!("no warning about the failed publish in:\n{logs}"));
    assert!(warning.contains("corr-42"), "{warning}");
    assert!(warning.contains("aggregate_id=\"logged\""), "{warning}");
}
