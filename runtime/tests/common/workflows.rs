//! Workflows run by each adapter's test binary against its own stores and feed: the
//! warehouse's orders settled by a process manager with a payment timer and a policy, while
//! the workflows' steps fail between sending their commands and keeping their state and the
//! engine is stopped and started again at random points. An independent fold of the log then
//! shows every order ended once, no command took effect twice, and no timer was lost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use eventwright::bus::EventBus;
use eventwright::clock::ManualClock;
use eventwright::engine::Feed;
use eventwright::store::{Cursor, EventStore, Instance, Step, StoreError, Timer, WorkflowStore};
use eventwright::workflow::WorkflowEngine;
use eventwright::{DispatchError, Dispatcher, EventEnvelope, Metadata};

use super::log::settled_log;
use super::warehouse::*;

/// How many orders are placed: more than the stock can hold, so some are refused.
const ORDERS: usize = 16;

/// How often the engine is stopped and started again, and how long the orders may take.
#[derive(Debug, Clone, Copy)]
pub struct Restarts {
    /// The shortest pause between restarts; every third pause is ten times as long, and longer
    /// with every thirty restarts, for the engine to get somewhere.
    pub pause: Duration,
    pub within: Duration,
}

impl Restarts {
    /// For a feed that reads the log: a restart costs nothing.
    pub const LOG: Restarts = Restarts {
        pause: Duration::from_millis(7),
        within: Duration::from_secs(60),
    };
    /// For a broker's consumer group, which rebalances at each restart.
    pub const BROKER: Restarts = Restarts {
        pause: Duration::from_millis(400),
        within: Duration::from_secs(240),
    };
}

pub fn nine_o_clock() -> DateTime<Utc> {
    "2026-12-07T09:00:00Z".parse().unwrap()
}

/// A store whose steps fail now and then, as a process killed at the wrong moment would: one
/// call in three fails before it commits (the step's commands were sent, its state not
/// kept), one in five after (kept, but the engine never hears so, and handles the event
/// again).
#[derive(Debug)]
pub struct Crashing {
    inner: Arc<dyn WorkflowStore>,
    calls: AtomicU64,
}

impl Crashing {
    pub fn around(inner: Arc<dyn WorkflowStore>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            calls: AtomicU64::new(0),
        })
    }
}

#[async_trait]
impl WorkflowStore for Crashing {
    async fn load_instance(&self, w: &str, c: &str) -> Result<Option<Instance>, StoreError> {
        self.inner.load_instance(w, c).await
    }

    async fn commit_step(&self, step: Step<'_>) -> Result<(), StoreError> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        let crashed = || StoreError::Unavailable("the process was killed".to_owned());
        if call.is_multiple_of(3) {
            return Err(crashed());
        }
        self.inner.commit_step(step).await?;
        if call.is_multiple_of(5) {
            return Err(crashed());
        }
        Ok(())
    }

    async fn timer(&self, w: &str, c: &str, name: &str) -> Result<Option<Timer>, StoreError> {
        self.inner.timer(w, c, name).await
    }

    async fn due_timers(
        &self,
        w: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Timer>, StoreError> {
        self.inner.due_timers(w, now, limit).await
    }

    async fn pending_timers(&self, w: &str) -> Result<u64, StoreError> {
        self.inner.pending_timers(w).await
    }

    async fn workflow_checkpoint(&self, w: &str) -> Result<Cursor, StoreError> {
        self.inner.workflow_checkpoint(w).await
    }

    async fn save_workflow_checkpoint(&self, w: &str, cursor: Cursor) -> Result<(), StoreError> {
        self.inner.save_workflow_checkpoint(w, cursor).await
    }
}

fn engine(dispatcher: &Dispatcher, store: &Arc<Crashing>, feed: &Arc<dyn Feed>) -> WorkflowEngine {
    WorkflowEngine::new(
        dispatcher.clone(),
        Arc::clone(store) as Arc<dyn WorkflowStore>,
        Arc::clone(feed),
    )
    .with_process(Fulfilment)
    .with_policy(ShipPaidOrders)
    .with_retry_delay(Duration::from_millis(10))
    .with_timer_poll(Duration::from_millis(20))
}

fn order_id(n: usize) -> String {
    format!("o-{n:02}")
}

/// Runs the warehouse's workflows through crashes and restarts until every order is settled,
/// then checks the log.
pub async fn every_order_settles_once(
    events: Arc<dyn EventStore>,
    workflows: Arc<dyn WorkflowStore>,
    bus: Arc<dyn EventBus>,
    feed: Arc<dyn Feed>,
    restarts: Restarts,
) {
    let clock = ManualClock::at(nine_o_clock());
    let dispatcher = Dispatcher::new(Arc::clone(&events), bus).with_clock(clock.clone());
    let store = Crashing::around(Arc::clone(&workflows));
    for (sku, quantity) in [("apple", 10), ("pear", 3)] {
        let open = OpenStock {
            sku: sku.to_owned(),
            quantity,
        };
        dispatcher
            .dispatch(open, Metadata::default())
            .await
            .unwrap();
    }
    let mut tasks = engine(&dispatcher, &store, &feed).spawn();
    for n in 1..=ORDERS {
        let place = PlaceOrder {
            id: order_id(n),
            sku: if n % 3 == 0 { "pear" } else { "apple" }.to_owned(),
            quantity: 1 + (n % 2) as i64,
        };
        dispatcher
            .dispatch(place, Metadata::default())
            .await
            .unwrap();
    }
    // Restarts at random points while each order's stock is decided.
    let early = restart_until(&mut tasks, &dispatcher, &store, &feed, restarts, || async {
        for n in 1..=ORDERS {
            if workflows
                .load_instance("fulfilment", &order_id(n))
                .await
                .unwrap()
                .is_none()
            {
                return Err(format!("{} has no process yet", order_id(n)));
            }
        }
        Ok(())
    })
    .await;
    // Odd orders are paid; one refused for its stock is cancelled already.
    for n in (1..=ORDERS).step_by(2) {
        match dispatcher
            .dispatch(Pay { id: order_id(n) }, Metadata::default())
            .await
        {
            Ok(_) => {}
            Err(DispatchError::Rejected(rejection)) => assert_eq!(rejection.code(), "cancelled"),
            Err(error) => panic!("paying {}: {error}", order_id(n)),
        }
    }
    clock.advance(payment_window() + chrono::Duration::minutes(1));
    let late = restart_until(&mut tasks, &dispatcher, &store, &feed, restarts, || async {
        for n in 1..=ORDERS {
            let (order, _) = dispatcher.load::<Order>(&order_id(n)).await.unwrap();
            let process = workflows
                .load_instance("fulfilment", &order_id(n))
                .await
                .unwrap();
            let running = process
                .as_ref()
                .is_some_and(|process| process.state.is_some());
            if !matches!(order.status, Status::Shipped | Status::Cancelled) || running {
                return Err(format!(
                    "{} is {:?}, its process {}",
                    order_id(n),
                    order.status,
                    if running { "still running" } else { "ended" }
                ));
            }
        }
        Ok(())
    })
    .await;
    for task in tasks {
        task.abort();
    }
    assert!(early + late > 2, "the engine was restarted along the way");
    assert_eq!(workflows.pending_timers("fulfilment").await.unwrap(), 0);
    check_the_log(events.as_ref()).await;
}

/// Stops the engine's tasks and starts new ones every few milliseconds until `settled` is
/// `Ok`, its error saying what is still open; returns how many times it did.
async fn restart_until<F, Fut>(
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
    dispatcher: &Dispatcher,
    store: &Arc<Crashing>,
    feed: &Arc<dyn Feed>,
    pace: Restarts,
    settled: F,
) -> u32
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    let mut restarts = 0;
    while let Err(open) = settled().await {
        assert!(
            started.elapsed() < pace.within,
            "the workflows did not settle the orders in {:?} ({restarts} restarts): {open}",
            pace.within
        );
        // The long pauses grow as the restarts go on: on a loaded machine a step can take longer
        // than the first ones, and restarts that always come first would never let it finish.
        let pause = if restarts % 3 == 2 {
            pace.pause * 10 * (1 + restarts / 30)
        } else {
            pace.pause + pace.pause * (restarts % 5)
        };
        tokio::time::sleep(pause).await;
        for task in tasks.drain(..) {
            task.abort();
        }
        *tasks = engine(dispatcher, store, feed).spawn();
        restarts += 1;
    }
    restarts
}

/// Folds the log, with no help from the workflows' own records.
async fn check_the_log(events: &dyn EventStore) {
    let log: Vec<EventEnvelope> = settled_log(events, 100_000)
        .await
        .into_iter()
        .map(|entry| entry.envelope)
        .collect();
    let count = |aggregate_id: &str, event_type: &str| {
        log.iter()
            .filter(|e| e.aggregate_id == aggregate_id && e.event_type == event_type)
            .count()
    };
    let held = |order: &str, event_type: &str| {
        log.iter()
            .filter(|e| e.event_type == event_type && e.payload["order"] == order)
            .count()
    };
    let mut shipped_quantity: BTreeMap<String, i64> = BTreeMap::new();
    for n in 1..=ORDERS {
        let order = order_id(n);
        let (shipped, cancelled) = (count(&order, "Shipped"), count(&order, "Cancelled"));
        assert_eq!(
            shipped + cancelled,
            1,
            "{order} ended once: {shipped} shipped, {cancelled} cancelled"
        );
        assert!(count(&order, "Paid") <= 1, "{order} paid once");
        let (reserved, released) = (held(&order, "Reserved"), held(&order, "Released"));
        assert!(reserved <= 1, "{order}'s stock reserved {reserved} times");
        assert!(
            released <= reserved,
            "{order}'s stock released {released} times"
        );
        if cancelled == 1 {
            assert_eq!(
                released, reserved,
                "a cancelled order's stock goes back: {order}"
            );
            let cancellation = log
                .iter()
                .find(|e| e.aggregate_id == order && e.event_type == "Cancelled")
                .unwrap();
            let reason = cancellation.payload["reason"].as_str().unwrap();
            let expected = if reserved == 0 {
                "out_of_stock"
            } else {
                "payment_timeout"
            };
            assert_eq!(reason, expected, "{order}");
            assert!(
                n % 2 == 0 || reserved == 0,
                "a paid order is never timed out: {order}"
            );
        } else {
            assert_eq!(
                (reserved, released),
                (1, 0),
                "a shipped order keeps its stock: {order}"
            );
            let placed = log
                .iter()
                .find(|e| e.aggregate_id == order && e.event_type == "Placed")
                .unwrap();
            *shipped_quantity
                .entry(placed.payload["sku"].as_str().unwrap().to_owned())
                .or_default() += placed.payload["quantity"].as_i64().unwrap();
        }
    }
    for (sku, stocked) in [("apple", 10), ("pear", 3)] {
        let mut available = 0;
        for event in log.iter().filter(|e| e.aggregate_id == sku) {
            let quantity = event.payload["quantity"].as_i64().unwrap();
            match event.event_type.as_str() {
                "Stocked" | "Released" => available += quantity,
                "Reserved" => available -= quantity,
                other => panic!("{other} on stock"),
            }
        }
        let shipped = shipped_quantity.get(sku).copied().unwrap_or(0);
        assert_eq!(
            available,
            stocked - shipped,
            "{sku}: what is left is what did not ship"
        );
        assert!(available >= 0, "{sku} never went below nothing");
    }
    assert!(
        shipped_quantity.values().sum::<i64>() > 0,
        "some orders shipped: the scenario tests both endings"
    );
}
