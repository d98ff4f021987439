//! The outbox relay, run by each adapter's test binary against its own store: every event
//! delivered in log order, at least once, resuming from the checkpoint after a restart.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use eventwright::bus::{BusError, InProcBus};
use eventwright::relay::{OutboxRelay, RelayError, Sink};
use eventwright::store::{EventStore, LogEntry};
use eventwright::{Dispatcher, Metadata};
use uuid::Uuid;

use super::load::bump_counters;
use super::log::settled_log;
use super::{Bump, Start};

/// A broker as the relay sees it: records what it acknowledged, and can be told to fail after a
/// number of batches, as a broker that goes down mid-stream does.
#[derive(Default)]
pub struct Broker {
    received: Mutex<Vec<LogEntry>>,
    batches_before_outage: Mutex<Option<usize>>,
}

impl Broker {
    pub fn failing_after(batches: usize) -> Arc<Self> {
        Arc::new(Self {
            received: Mutex::default(),
            batches_before_outage: Mutex::new(Some(batches)),
        })
    }

    pub fn recover(&self) {
        *self.batches_before_outage.lock().unwrap() = None;
    }

    pub fn received(&self) -> Vec<LogEntry> {
        self.received.lock().unwrap().clone()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("broker unavailable")]
struct Outage;

#[async_trait]
impl Sink for Broker {
    async fn deliver(&self, entries: &[LogEntry]) -> Result<(), BusError> {
        let mut budget = self.batches_before_outage.lock().unwrap();
        match budget.as_mut() {
            Some(0) => {
                // Half the batch arrives before the failure: the relay must send it all again.
                let arrived = &entries[..entries.len() / 2];
                self.received.lock().unwrap().extend_from_slice(arrived);
                Err(BusError(Box::new(Outage)))
            }
            Some(left) => {
                *left -= 1;
                self.received.lock().unwrap().extend_from_slice(entries);
                Ok(())
            }
            None => {
                self.received.lock().unwrap().extend_from_slice(entries);
                Ok(())
            }
        }
    }
}

async fn write(dispatcher: &Dispatcher, counters: usize, bumps: usize) {
    let writers: Vec<_> = (0..counters)
        .map(|n| {
            let dispatcher = dispatcher.clone();
            tokio::spawn(async move {
                let id = format!("c{n}");
                let start = Start { id: id.clone() };
                dispatcher
                    .dispatch(start, Metadata::default())
                    .await
                    .unwrap();
                for _ in 0..bumps {
                    let bump = Bump { id: id.clone() };
                    dispatcher
                        .dispatch(bump, Metadata::default())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
}

/// Every event of `log` is in `received`; each aggregate's events first arrive in sequence
/// order; and no event arrives more than `max_duplicates` extra times in all.
fn assert_delivered(log: &[LogEntry], received: &[LogEntry], max_duplicates: usize) {
    let ids: HashSet<Uuid> = received.iter().map(|e| e.envelope.event_id).collect();
    let missing = log
        .iter()
        .filter(|e| !ids.contains(&e.envelope.event_id))
        .count();
    assert_eq!(missing, 0, "every committed event is delivered");
    let duplicates = received.len() - ids.len();
    assert!(
        duplicates <= max_duplicates,
        "{duplicates} redeliveries; at most {max_duplicates} expected"
    );
    let mut seen = HashSet::new();
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    for entry in received {
        if !seen.insert(entry.envelope.event_id) {
            continue;
        }
        let previous = last
            .insert(entry.envelope.aggregate_id.clone(), entry.envelope.sequence)
            .unwrap_or(0);
        assert_eq!(
            entry.envelope.sequence,
            previous + 1,
            "{} arrives in sequence order",
            entry.envelope.aggregate_id
        );
    }
}

/// A relay that fails mid-stream, and a new relay started under the same name, deliver
/// everything between them: the failed batch again, nothing before the checkpoint again.
pub async fn resumes_from_its_checkpoint_after_a_restart(store: Arc<dyn EventStore>) {
    let log_bus = InProcBus::new(Arc::clone(&store)).with_poll_interval(Duration::from_millis(20));
    let dispatcher = Dispatcher::new(Arc::clone(&store), Arc::new(log_bus.clone()));
    write(&dispatcher, 8, 80).await;
    let log = settled_log(store.as_ref(), 10_000).await;
    assert_eq!(log.len(), 8 * 81);

    let broker = Broker::failing_after(1);
    let relay = OutboxRelay::new(
        "broker",
        Arc::clone(&store),
        log_bus.clone(),
        broker.clone(),
    );
    let error = relay.relay_pending().await.unwrap_err();
    assert!(matches!(error, RelayError::Sink(_)), "{error}");
    let before_restart = broker.received().len();
    let checkpoint = store.relay_checkpoint("broker").await.unwrap();
    assert_eq!(
        checkpoint,
        broker.received()[255].cursor,
        "the checkpoint stops after the last acknowledged batch"
    );

    // A new process: a new relay under the same name, with the broker back.
    broker.recover();
    let restarted = OutboxRelay::new(
        "broker",
        Arc::clone(&store),
        log_bus.clone(),
        broker.clone(),
    );
    let delivered = restarted.relay_pending().await.unwrap();
    assert_eq!(delivered, log.len() - 256, "it resumes at its checkpoint");
    assert_delivered(&log, &broker.received(), before_restart - 256);

    // Running, it picks up new commits as they are made, and a restart delivers nothing again.
    let running = restarted.spawn();
    bump_counters(&dispatcher, 8).await;
    let total = log.len() + 8;
    tokio::time::timeout(Duration::from_secs(20), async {
        while broker.received().len() < total + before_restart - 256 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the running relay delivers new commits");
    let log = settled_log(store.as_ref(), 10_000).await;
    // The checkpoint moves just after the broker acknowledges: stopping the relay in between
    // would rightly deliver the last batch again.
    let last = log.last().expect("events").cursor;
    tokio::time::timeout(Duration::from_secs(20), async {
        while store.relay_checkpoint("broker").await.unwrap() < last {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the running relay moves its checkpoint");
    running.abort();
    assert_delivered(&log, &broker.received(), before_restart - 256);
    assert_eq!(restarted.relay_pending().await.unwrap(), 0);
}
