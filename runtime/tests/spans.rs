//! Tracing across the command path. A command is committed by its aggregate's worker, apart from
//! the request that sent it; what the worker logs must still carry that request's span. And
//! projections apply events in spans that carry the events' correlation ids.
//!
//! A binary of its own, where every test listens: tracing caches process-wide whether anyone
//! listens at a call site, so a test running beside these without a subscriber could switch
//! their spans off.

use std::sync::Arc;
use std::time::Duration;

use eventwright::bus::{BusError, EventBus, InProcBus};
use eventwright::store::sqlite::{self, SqliteEventStore, SqliteReadStore};
use eventwright::store::{EventStore, ReadStore};
use eventwright::trace_context::{self, TraceContext};
use eventwright::{Dispatcher, Metadata, Projection, ProjectionEngine, ReadModels};
use tracing::subscriber::DefaultGuard;
use tracing_subscriber::fmt::format::FmtSpan;

mod common;

use common::{Bump, Start, Tally};

/// A bus that is down: every publish fails, so the command's worker logs a warning.
#[derive(Debug)]
struct DownBus;

#[async_trait::async_trait]
impl EventBus for DownBus {
    async fn publish(&self, _: &[eventwright::EventEnvelope]) -> Result<(), BusError> {
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

impl Logs {
    /// Everything written to this thread's log until the guard drops, with a line for each
    /// span that closes.
    fn capture() -> (Self, DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

async fn event_store() -> Arc<dyn EventStore> {
    let events = SqliteEventStore::new(sqlite::connect("sqlite::memory:").await.unwrap());
    events.prepare().await.unwrap();
    Arc::new(events)
}

/// A failed publish, logged by the worker, names the request it was for.
#[tokio::test]
async fn what_a_command_worker_logs_carries_the_span_of_the_request() {
    let (logs, _listening) = Logs::capture();
    let dispatcher = Dispatcher::new(event_store().await, Arc::new(DownBus));

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

    let logs = logs.text();
    let warning = logs
        .lines()
        .find(|line| line.contains("publishing committed events failed"))
        .unwrap_or_else(|| panic!("no warning about the failed publish in:\n{logs}"));
    assert!(warning.contains("corr-42"), "{warning}");
    assert!(warning.contains("aggregate_id=\"logged\""), "{warning}");
}

/// An event applied by a projection running in process is applied in a span that names the
/// projection and the event's correlation id.
#[tokio::test]
async fn projections_apply_events_in_spans_with_their_correlation_ids() {
    let (logs, _listening) = Logs::capture();
    let events = event_store().await;
    let bus = InProcBus::new(Arc::clone(&events));
    let read: Arc<dyn ReadStore> = Arc::new(SqliteReadStore::new(
        sqlite::connect("sqlite::memory:").await.unwrap(),
    ));
    read.prepare(&Tally::SCHEMA).await.unwrap();
    let tasks = ProjectionEngine::new(
        Arc::clone(&read),
        Arc::clone(&events),
        Arc::new(bus.clone()),
    )
    .with::<Tally>()
    .spawn();
    let metadata = Metadata {
        correlation_id: Some("corr-7".into()),
        ..Metadata::default()
    };
    Dispatcher::new(events, Arc::new(bus))
        .dispatch(Start { id: "seen".into() }, metadata)
        .await
        .unwrap();

    let models = ReadModels::new(read);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while models.get::<Tally>(&"seen").await.unwrap().is_none() {
        assert!(tokio::time::Instant::now() < deadline, "never projected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for task in tasks {
        task.abort();
    }

    let logs = logs.text();
    assert!(
        logs.lines()
            .any(|line| line.contains("project{projection=\"tally\"")
                && line.contains("correlation_id=\"corr-7\"")
                && line.contains("close")),
        "no span closed for applying the event in:\n{logs}"
    );
}

/// Each span a trace was continued in, by name, with the traceparents it continued.
type Continued = Arc<std::sync::Mutex<Vec<(String, Vec<String>)>>>;

/// A stand-in for a trace exporter: spans named `request` belong to one trace, and what
/// projections continue is recorded.
struct RecordingTraceContext {
    continued: Continued,
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

impl TraceContext for RecordingTraceContext {
    fn traceparent(&self, span: &tracing::Span) -> Option<String> {
        span.metadata()
            .filter(|metadata| metadata.name() == "request")
            .map(|_| TRACEPARENT.to_owned())
    }

    fn continue_trace(&self, span: &tracing::Span, traceparents: &[&str]) {
        let name = span.metadata().map_or("", |metadata| metadata.name());
        let traceparents = traceparents
            .iter()
            .map(|&parent| parent.to_owned())
            .collect();
        self.continued
            .lock()
            .unwrap()
            .push((name.to_owned(), traceparents));
    }
}

/// A command's events record the trace of the span it was dispatched in, and the projection
/// applying them continues it, once for the events of one trace.
#[tokio::test]
async fn events_carry_the_trace_of_their_command_to_the_projection() {
    let (_logs, _listening) = Logs::capture();
    let continued = Continued::default();
    assert!(trace_context::install(RecordingTraceContext {
        continued: Arc::clone(&continued),
    }));
    let events = event_store().await;
    let bus = InProcBus::new(Arc::clone(&events));
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    let id = || "traced".to_owned();
    tracing::Instrument::instrument(
        async {
            let metadata = Metadata::default;
            dispatcher
                .dispatch(Start { id: id() }, metadata())
                .await
                .unwrap();
            dispatcher
                .dispatch(Bump { id: id() }, metadata())
                .await
                .unwrap();
        },
        tracing::info_span!("request"),
    )
    .await;
    let recorded = events.load("Counter", "traced", 0).await.unwrap();
    let traces: Vec<_> = recorded
        .iter()
        .map(|event| event.metadata.traceparent.as_deref())
        .collect();
    assert_eq!(traces, [Some(TRACEPARENT); 2]);

    // Started after both commits, the projection catches up on them.
    let read: Arc<dyn ReadStore> = Arc::new(SqliteReadStore::new(
        sqlite::connect("sqlite::memory:").await.unwrap(),
    ));
    read.prepare(&Tally::SCHEMA).await.unwrap();
    let tasks = ProjectionEngine::new(Arc::clone(&read), Arc::clone(&events), Arc::new(bus))
        .with::<Tally>()
        .spawn();
    let models = ReadModels::new(read);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while models
        .get::<Tally>(&"traced")
        .await
        .unwrap()
        .is_none_or(|tally| tally.events < 2)
    {
        assert!(tokio::time::Instant::now() < deadline, "never projected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for task in tasks {
        task.abort();
    }
    // However the events were batched, each batch continued the one trace, named once.
    let continued = continued.lock().unwrap().clone();
    assert!(!continued.is_empty());
    for (span, traceparents) in &continued {
        assert_eq!(
            (span.as_str(), traceparents.as_slice()),
            ("project", &[TRACEPARENT.to_owned()][..])
        );
    }
}
