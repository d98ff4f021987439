//! Counting applied events with the engine's own counter, `eventwright_projection_events_total`,
//! which it increments once per event applied (a redelivery skipped is not counted).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};

const APPLIED: &str = "eventwright_projection_events_total";

/// The process's metrics recorder: it keeps that one counter and drops every other metric.
#[derive(Debug, Clone, Default)]
pub struct AppliedEvents(Arc<AtomicU64>);

impl AppliedEvents {
    pub fn install() -> anyhow::Result<Self> {
        let applied = Self::default();
        metrics::set_global_recorder(applied.clone())
            .map_err(|error| anyhow::anyhow!("installing the metrics recorder: {error}"))?;
        Ok(applied)
    }

    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }

    /// When the first event was applied, and when the `total`th was; an error after `bound`.
    pub async fn wait_for(
        &self,
        total: u64,
        bound: Duration,
    ) -> anyhow::Result<(Instant, Instant)> {
        let deadline = Instant::now() + bound;
        let mut first = None;
        loop {
            let applied = self.0.load(Ordering::SeqCst);
            let now = Instant::now();
            if applied > 0 && first.is_none() {
                first = Some(now);
            }
            if let (Some(first), true) = (first, applied >= total) {
                return Ok((first, now));
            }
            anyhow::ensure!(
                now < deadline,
                "{applied} of {total} events applied in {bound:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Recorder for AppliedEvents {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        if key.name() == APPLIED {
            Counter::from_arc(Arc::clone(&self.0))
        } else {
            Counter::noop()
        }
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}
