//! Commands for the outage tests: a service's command side on SQLite, and counters started,
//! then bumped at a steady rate while a fault is injected.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use eventwright::bus::InProcBus;
use eventwright::store::EventStore;
use eventwright::{Dispatcher, Metadata};
use tokio::task::JoinHandle;

use super::{Bump, Start};

/// Commands on a SQLite event store in `dir`, published by an in-process bus polling every
/// `poll`: what the outage tests keep steady while the read side or the broker fails.
#[cfg(feature = "sqlite")]
pub async fn sqlite_commands(
    dir: &std::path::Path,
    poll: Duration,
) -> (Arc<dyn EventStore>, InProcBus, Dispatcher) {
    use eventwright::store::sqlite::{self, SqliteEventStore};
    let url = format!("sqlite://{}", dir.join("events.db").display());
    let events: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::new(sqlite::connect(&url).await.unwrap()));
    events.prepare().await.unwrap();
    let bus = InProcBus::new(Arc::clone(&events)).with_poll_interval(poll);
    let dispatcher = Dispatcher::new(Arc::clone(&events), Arc::new(bus.clone()));
    (events, bus, dispatcher)
}

/// Starts counters `c0..c{counters - 1}`.
pub async fn start_counters(dispatcher: &Dispatcher, counters: usize) {
    for n in 0..counters {
        let start = Start {
            id: format!("c{n}"),
        };
        dispatcher
            .dispatch(start, Metadata::default())
            .await
            .unwrap();
    }
}

/// Bumps counters `c0..c{counters - 1}` once each, in turn.
pub async fn bump_counters(dispatcher: &Dispatcher, counters: usize) {
    for n in 0..counters {
        let bump = Bump {
            id: format!("c{n}"),
        };
        dispatcher
            .dispatch(bump, Metadata::default())
            .await
            .unwrap();
    }
}

/// A steady load: `rate` commands a second, spread over `tasks` tasks, bumping counters
/// `c0..c{counters - 1}` in turn.
#[derive(Debug, Clone, Copy)]
pub struct SteadyLoad {
    pub counters: usize,
    pub rate: u64,
    pub tasks: u64,
}

impl SteadyLoad {
    /// Runs until `running` turns false. Every command must succeed; each is counted in
    /// `accepted`.
    pub fn spawn(
        self,
        dispatcher: &Dispatcher,
        running: &Arc<AtomicBool>,
        accepted: &Arc<AtomicUsize>,
    ) -> Vec<JoinHandle<()>> {
        (0..self.tasks)
            .map(|task| {
                let (dispatcher, running, accepted) =
                    (dispatcher.clone(), running.clone(), accepted.clone());
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_micros(
                        1_000_000 * self.tasks / self.rate,
                    ));
                    let mut n = task as usize;
                    while running.load(Ordering::SeqCst) {
                        tick.tick().await;
                        let bump = Bump {
                            id: format!("c{}", n % self.counters),
                        };
                        dispatcher
                            .dispatch(bump, Metadata::default())
                            .await
                            .expect("a command succeeds whatever the read side or broker does");
                        accepted.fetch_add(1, Ordering::SeqCst);
                        n += self.tasks as usize;
                    }
                })
            })
            .collect()
    }
}
