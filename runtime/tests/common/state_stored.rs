//! State-stored aggregates, run by each adapter's test binary against its own store: the state
//! row and the events commit together, a stale version is a typed conflict that writes nothing,
//! and concurrent commands are serialized by the version column.

use std::sync::Arc;

use eventwright::bus::InProcBus;
use eventwright::store::{EventStore, Snapshot, StoreError};
use eventwright::{
    Aggregate, Apply, Command, DispatchError, Dispatcher, Event, Handle, Metadata, NewEvent,
    Persistence, Rejection,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::log::settled_log;

/// A till whose current cash is kept as a row: no load ever reads its events.
#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = TillEvent, persistence = "state_stored")]
pub struct Till {
    pub cash: i64,
    pub sales: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Command)]
#[command(aggregate = Till, creates)]
pub struct OpenTill {
    #[command(id)]
    pub id: String,
    pub float: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, Command)]
#[command(aggregate = Till, retries = 1000)]
pub struct Sell {
    #[command(id)]
    pub id: String,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TillOpened {
    pub float: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sold {
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum TillEvent {
    TillOpened(TillOpened),
    Sold(Sold),
}

impl Apply<TillOpened> for Till {
    fn apply(&mut self, event: &TillOpened) {
        self.cash = event.float;
    }
}

impl Apply<Sold> for Till {
    fn apply(&mut self, event: &Sold) {
        self.cash += event.amount;
        self.sales += 1;
    }
}

impl Handle<OpenTill> for Till {
    fn handle(&self, command: &OpenTill) -> Result<Vec<TillEvent>, Rejection> {
        Ok(vec![
            TillOpened {
                float: command.float,
            }
            .into(),
        ])
    }
}

impl Handle<Sell> for Till {
    fn handle(&self, command: &Sell) -> Result<Vec<TillEvent>, Rejection> {
        if command.amount <= 0 {
            return Err(Rejection::guard("a sale takes money in"));
        }
        Ok(vec![
            Sold {
                amount: command.amount,
            }
            .into(),
        ])
    }
}

fn dispatcher(store: &Arc<dyn EventStore>) -> Dispatcher {
    Dispatcher::new(
        Arc::clone(store),
        Arc::new(InProcBus::new(Arc::clone(store))),
    )
}

fn sold(id: &str, sequence: u64) -> NewEvent {
    NewEvent {
        aggregate_type: Till::TYPE.to_owned(),
        event_type: "Sold".to_owned(),
        payload: json!({ "amount": 1 }),
        tags: Vec::new(),
        ..super::new_event(id, sequence)
    }
}

/// Commands load the state row, and each commit moves the row and appends the events: the row
/// holds the state the events lead to, at the version of the last event.
pub async fn round_trip_through_their_state_row(store: Arc<dyn EventStore>) {
    assert_eq!(Till::PERSISTENCE, Persistence::StateStored);
    let dispatcher = dispatcher(&store);
    let open = OpenTill {
        id: "t".into(),
        float: 100,
    };
    dispatcher
        .dispatch(open, Metadata::default())
        .await
        .unwrap();
    let committed = dispatcher
        .dispatch(
            Sell {
                id: "t".into(),
                amount: 25,
            },
            Metadata::default(),
        )
        .await
        .unwrap();
    assert_eq!(committed.version, 2);

    assert_eq!(
        store.load_state("Till", "t").await.unwrap(),
        Some(Snapshot {
            sequence: 2,
            state: json!({ "cash": 125, "sales": 1 }),
        })
    );
    let (till, version) = dispatcher.load::<Till>("t").await.unwrap();
    assert_eq!((till.cash, till.sales, version), (125, 1, 2));

    // The events are in the log, which is the outbox: projections and relays see them.
    let log = settled_log(store.as_ref(), 1000).await;
    let kinds: Vec<_> = log
        .iter()
        .map(|entry| (entry.envelope.sequence, entry.envelope.event_type.as_str()))
        .collect();
    assert_eq!(kinds, [(1, "TillOpened"), (2, "Sold")]);

    // The row is the truth: a load never reads the events, so removing one changes nothing.
    assert_eq!(store.load("Till", "t", 0).await.unwrap().len(), 2);
    let refused = dispatcher
        .dispatch(
            Sell {
                id: "t".into(),
                amount: 0,
            },
            Metadata::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, DispatchError::Rejected(_)), "{refused}");
    let again = dispatcher
        .dispatch(
            OpenTill {
                id: "t".into(),
                float: 1,
            },
            Metadata::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(again, DispatchError::AlreadyExists { .. }),
        "{again}"
    );
    let missing = dispatcher
        .dispatch(
            Sell {
                id: "nobody".into(),
                amount: 1,
            },
            Metadata::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(missing, DispatchError::NotFound { .. }),
        "{missing}"
    );
    assert_eq!(store.load_state("Till", "nobody").await.unwrap(), None);
}

/// A commit from a stale version, or a second creation, is a typed conflict and writes neither
/// the row nor any event.
pub async fn conflict_on_a_stale_version_and_write_nothing(store: Arc<dyn EventStore>) {
    let created = store
        .commit_state(0, json!({ "cash": 0, "sales": 1 }), vec![sold("t", 1)])
        .await
        .unwrap();
    assert_eq!(created.len(), 1);

    for (expected, sequence) in [(0, 1), (0, 2), (2, 3), (5, 6)] {
        let error = store
            .commit_state(expected, json!({ "cash": -1 }), vec![sold("t", sequence)])
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::Conflict { .. }),
            "from version {expected}: {error}"
        );
    }
    assert_eq!(
        store.load_state("Till", "t").await.unwrap().unwrap().state,
        json!({ "cash": 0, "sales": 1 })
    );
    assert_eq!(store.load("Till", "t", 0).await.unwrap().len(), 1);

    store
        .commit_state(
            1,
            json!({ "cash": 1, "sales": 2 }),
            vec![sold("t", 2), sold("t", 3)],
        )
        .await
        .unwrap();
    let row = store.load_state("Till", "t").await.unwrap().unwrap();
    assert_eq!(row.sequence, 3, "the version is the last event's sequence");
}

/// Many tasks selling on one till at once: the version column lets exactly one commit per
/// version through, the others retry on the fresh row, and nothing is lost or counted twice.
pub async fn serialize_concurrent_commands(store: Arc<dyn EventStore>, tasks: u32, each: u32) {
    let dispatcher = dispatcher(&store);
    let open = OpenTill {
        id: "t".into(),
        float: 0,
    };
    dispatcher
        .dispatch(open, Metadata::default())
        .await
        .unwrap();
    let workers: Vec<_> = (0..tasks)
        .map(|_| {
            let dispatcher = dispatcher.clone();
            tokio::spawn(async move {
                for _ in 0..each {
                    dispatcher
                        .dispatch(
                            Sell {
                                id: "t".into(),
                                amount: 2,
                            },
                            Metadata::default(),
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let sales = tasks * each;
    let (till, version) = dispatcher.load::<Till>("t").await.unwrap();
    assert_eq!((till.sales, till.cash), (sales, 2 * i64::from(sales)));
    assert_eq!(version, u64::from(sales) + 1);
    let sequences: Vec<u64> = store
        .load("Till", "t", 0)
        .await
        .unwrap()
        .iter()
        .map(|event| event.sequence)
        .collect();
    assert_eq!(sequences, (1..=u64::from(sales) + 1).collect::<Vec<_>>());
}

/// A row that no longer deserializes cannot be rebuilt from anything, so the command fails
/// saying so; it is never silently replaced by an empty state.
pub async fn refuse_a_row_that_no_longer_restores(store: Arc<dyn EventStore>) {
    store
        .commit_state(0, json!({ "cash": "lots" }), vec![sold("t", 1)])
        .await
        .unwrap();
    let error = dispatcher(&store)
        .dispatch(
            Sell {
                id: "t".into(),
                amount: 1,
            },
            Metadata::default(),
        )
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("Till t") && message.contains("no longer deserializes"),
        "{message}"
    );
    assert_eq!(store.load("Till", "t", 0).await.unwrap().len(), 1);
}
