//! A request's trace, carried on its events to the projections that apply them.
//!
//! A command's events record the W3C `traceparent` of the span it was dispatched in
//! ([`Metadata::traceparent`](crate::Metadata::traceparent)), and a projection applies them in a
//! span that continues that trace, in this process or another one behind a broker. Reading and
//! setting a span's trace context is the trace exporter's business, so the runtime does not
//! depend on one: a service that exports traces [`install`]s a [`TraceContext`] that does it
//! (the generated project's `otel` feature installs one for OpenTelemetry). Without one, events
//! carry no trace and spans start their own.

use std::sync::OnceLock;

/// Reads and sets the trace context of `tracing` spans, for the exporter in use.
pub trait TraceContext: Send + Sync + 'static {
    /// The W3C `traceparent` of `span`, when it belongs to an exported trace.
    fn traceparent(&self, span: &tracing::Span) -> Option<String>;

    /// Makes the span named by the first of `traceparents` the parent of `span`, and links
    /// `span` to the others (a batch of events may come from several traces).
    fn continue_trace(&self, span: &tracing::Span, traceparents: &[&str]);
}

static INSTALLED: OnceLock<Box<dyn TraceContext>> = OnceLock::new();

/// Installs `context` for this process. Only the first call takes effect: returns whether this
/// one did.
pub fn install(context: impl TraceContext) -> bool {
    INSTALLED.set(Box::new(context)).is_ok()
}

/// The `traceparent` of the current span, when one is installed and the span is traced.
pub(crate) fn current() -> Option<String> {
    INSTALLED.get()?.traceparent(&tracing::Span::current())
}

/// Continues in `span` the traces `traceparents` name, when a [`TraceContext`] is installed.
/// Repeats in a row (the events of one command) count once.
pub(crate) fn continue_in<'a>(
    span: &tracing::Span,
    traceparents: impl IntoIterator<Item = Option<&'a str>>,
) {
    let Some(context) = INSTALLED.get() else {
        return;
    };
    let mut traceparents: Vec<&str> = traceparents.into_iter().flatten().collect();
    traceparents.dedup();
    if !traceparents.is_empty() {
        context.continue_trace(span, &traceparents);
    }
}
