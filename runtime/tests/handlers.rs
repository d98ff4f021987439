//! Handlers that do real work, on a warehouse: an async handler asks a carrier service for a
//! rate, reads the clock to expire holds, and refuses with the domain's own rejections; run
//! through the dispatcher on SQLite and through the test kit.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use eventwright::bus::InProcBus;
use eventwright::clock::ManualClock;
use eventwright::store::EventStore;
use eventwright::store::sqlite::{self, SqliteEventStore};
use eventwright::testing::given;
use eventwright::{
    Aggregate, Apply, Command, Context, DispatchError, Dispatcher, DomainRejection, Event, Handle,
    HandleWith, Metadata, RejectionKind,
};
use serde::{Deserialize, Serialize};

/// What the warehouse asks while deciding: a carrier's rate for a weight, over the network in
/// production (so async), counted here.
#[derive(Debug, Default)]
pub struct Carriers {
    asked: AtomicU32,
}

impl Carriers {
    async fn rate_cents(&self, grams: u32) -> Option<u32> {
        self.asked.fetch_add(1, Ordering::Relaxed);
        tokio::task::yield_now().await;
        (grams <= 30_000).then_some(500 + grams / 100)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stocked {
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Held {
    pub quantity: u32,
    pub until: DateTime<Utc>,
    pub rate_cents: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Released {
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum BinEvent {
    Stocked(Stocked),
    Held(Held),
    Released(Released),
}

#[derive(Debug, PartialEq, thiserror::Error, DomainRejection)]
pub enum BinRejection {
    #[error("only {available} left")]
    #[rejection(code = "short", field = "quantity")]
    Short { available: u32 },
    #[error("no carrier takes {grams} g")]
    #[rejection(code = "too_heavy", field = "grams", invalid)]
    TooHeavy { grams: u32 },
    #[error("nothing is held, or the hold has not expired")]
    #[rejection(code = "nothing_expired")]
    NothingExpired,
}

#[derive(Debug, Default, Aggregate)]
#[aggregate(id = String, event = BinEvent, services = Carriers, rejection = BinRejection)]
pub struct Bin {
    on_hand: u32,
    held: u32,
    until: Option<DateTime<Utc>>,
}

impl Apply<Stocked> for Bin {
    fn apply(&mut self, event: &Stocked) {
        self.on_hand += event.quantity;
    }
}

impl Apply<Held> for Bin {
    fn apply(&mut self, event: &Held) {
        self.held += event.quantity;
        self.until = Some(event.until);
    }
}

impl Apply<Released> for Bin {
    fn apply(&mut self, event: &Released) {
        self.held -= event.quantity;
        self.until = None;
    }
}

#[derive(Debug, Command)]
#[command(aggregate = Bin, creates)]
pub struct Stock {
    pub id: String,
    pub quantity: u32,
}

#[derive(Debug, Command)]
#[command(aggregate = Bin)]
pub struct Hold {
    pub id: String,
    pub quantity: u32,
    pub grams: u32,
}

#[derive(Debug, Command)]
#[command(aggregate = Bin)]
pub struct ReleaseExpired {
    pub id: String,
}

/// A plain handler beside async ones: no context, no ceremony.
impl Handle<Stock> for Bin {
    fn handle(&self, command: &Stock) -> Result<Vec<BinEvent>, BinRejection> {
        Ok(vec![
            Stocked {
                quantity: command.quantity,
            }
            .into(),
        ])
    }
}

/// Holds stock for 15 minutes at the carrier's rate.
impl HandleWith<Hold> for Bin {
    async fn handle(
        &self,
        command: &Hold,
        context: Context<'_, Carriers>,
    ) -> Result<Vec<BinEvent>, BinRejection> {
        let available = self.on_hand - self.held;
        if command.quantity > available {
            return Err(BinRejection::Short { available });
        }
        let grams = command.grams;
        let Some(rate_cents) = context.services().rate_cents(grams).await else {
            return Err(BinRejection::TooHeavy { grams });
        };
        Ok(vec![
            Held {
                quantity: command.quantity,
                until: context.now() + TimeDelta::minutes(15),
                rate_cents,
            }
            .into(),
        ])
    }
}

impl HandleWith<ReleaseExpired> for Bin {
    async fn handle(
        &self,
        _: &ReleaseExpired,
        context: Context<'_, Carriers>,
    ) -> Result<Vec<BinEvent>, BinRejection> {
        match self.until {
            Some(until) if until <= context.now() => Ok(vec![
                Released {
                    quantity: self.held,
                }
                .into(),
            ]),
            _ => Err(BinRejection::NothingExpired),
        }
    }
}

fn nine_o_clock() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

async fn store(dir: &tempfile::TempDir) -> Arc<dyn EventStore> {
    let url = format!("sqlite://{}", dir.path().join("db").display());
    let events: Arc<dyn EventStore> =
        Arc::new(SqliteEventStore::new(sqlite::connect(&url).await.unwrap()));
    events.prepare().await.unwrap();
    events
}

/// A dispatcher over `events`, with no services or clock of its own yet.
fn dispatcher(events: &Arc<dyn EventStore>) -> Dispatcher {
    Dispatcher::new(
        Arc::clone(events),
        Arc::new(InProcBus::new(Arc::clone(events))),
    )
}

#[tokio::test]
async fn an_async_handler_asks_its_services_and_the_dispatchers_clock_stamps_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let events = store(&dir).await;
    let clock = ManualClock::at(nine_o_clock());
    let carriers = Arc::new(Carriers::default());
    let dispatcher = dispatcher(&events)
        .with_shared_services(Arc::clone(&carriers))
        .with_clock(clock.clone());
    let bin = || "bin-7".to_owned();
    dispatcher
        .dispatch(
            Stock {
                id: bin(),
                quantity: 10,
            },
            Metadata::default(),
        )
        .await
        .unwrap();
    let held = dispatcher
        .dispatch(
            Hold {
                id: bin(),
                quantity: 4,
                grams: 2_000,
            },
            Metadata::default(),
        )
        .await
        .unwrap();
    assert_eq!(carriers.asked.load(Ordering::Relaxed), 1);
    let stored = &held.events[0];
    assert_eq!(
        stored.timestamp,
        nine_o_clock(),
        "stamped by the dispatcher's clock"
    );
    assert_eq!(
        stored.payload,
        serde_json::json!({"quantity": 4, "until": "2026-03-02T09:15:00Z", "rate_cents": 520})
    );

    let early = dispatcher
        .dispatch(ReleaseExpired { id: bin() }, Metadata::default())
        .await
        .unwrap_err();
    let DispatchError::Rejected(rejection) = &early else {
        panic!("{early}")
    };
    assert_eq!(rejection.code(), "nothing_expired");
    assert_eq!(
        rejection.domain::<BinRejection>(),
        Some(&BinRejection::NothingExpired)
    );

    clock.advance(TimeDelta::minutes(15));
    let released = dispatcher
        .dispatch(ReleaseExpired { id: bin() }, Metadata::default())
        .await
        .unwrap();
    assert_eq!(
        released.events[0].payload,
        serde_json::json!({"quantity": 4})
    );
    assert_eq!(
        released.events[0].timestamp,
        nine_o_clock() + TimeDelta::minutes(15)
    );
}

#[tokio::test]
async fn the_domains_rejections_reach_the_caller_typed_with_their_code_field_and_kind() {
    let dir = tempfile::tempdir().unwrap();
    let events = store(&dir).await;
    let dispatcher = dispatcher(&events).with_services(Carriers::default());
    dispatcher
        .dispatch(
            Stock {
                id: "b".into(),
                quantity: 3,
            },
            Metadata::default(),
        )
        .await
        .unwrap();
    let short = dispatcher
        .dispatch(
            Hold {
                id: "b".into(),
                quantity: 5,
                grams: 1,
            },
            Metadata::default(),
        )
        .await
        .unwrap_err();
    let expected = DispatchError::from(BinRejection::Short { available: 3 });
    assert_eq!(
        short, expected,
        "DispatchError compares, for tests and callers"
    );
    let DispatchError::Rejected(short) = short else {
        unreachable!()
    };
    assert_eq!(
        (short.code(), short.field(), short.kind()),
        ("short", Some("quantity"), RejectionKind::Refused)
    );
    assert_eq!(short.message(), "only 3 left");

    let heavy = dispatcher
        .dispatch(
            Hold {
                id: "b".into(),
                quantity: 1,
                grams: 40_000,
            },
            Metadata::default(),
        )
        .await
        .unwrap_err();
    let DispatchError::Rejected(heavy) = heavy else {
        panic!("{heavy}")
    };
    assert_eq!(
        (heavy.code(), heavy.field(), heavy.kind()),
        ("too_heavy", Some("grams"), RejectionKind::Invalid)
    );
    assert_eq!(
        events.load("Bin", "b", 0).await.unwrap().len(),
        1,
        "refusals append nothing"
    );
}

#[tokio::test]
async fn a_handler_whose_services_were_not_given_fails_naming_their_type() {
    let dir = tempfile::tempdir().unwrap();
    let events = store(&dir).await;
    let dispatcher = dispatcher(&events);
    // A plain handler needs no services, even on an aggregate that names some.
    dispatcher
        .dispatch(
            Stock {
                id: "b".into(),
                quantity: 3,
            },
            Metadata::default(),
        )
        .await
        .unwrap();
    let error = dispatcher
        .dispatch(
            Hold {
                id: "b".into(),
                quantity: 1,
                grams: 1,
            },
            Metadata::default(),
        )
        .await
        .unwrap_err();
    let DispatchError::MissingServices(missing) = &error else {
        panic!("{error}")
    };
    assert!(missing.services.ends_with("Carriers"), "{error}");
    assert_eq!(events.load("Bin", "b", 0).await.unwrap().len(), 1);
}

#[test]
fn the_kit_gives_services_and_a_frozen_clock_and_returns_the_state_the_events_lead_to() {
    let until = nine_o_clock() + TimeDelta::minutes(15);
    let state = given::<Bin>([Stocked { quantity: 10 }.into()])
        .with_services(Carriers::default())
        .at(nine_o_clock())
        .when(Hold {
            id: "b".into(),
            quantity: 4,
            grams: 2_000,
        })
        .then_expect_events([Held {
            quantity: 4,
            until,
            rate_cents: 520,
        }]);
    assert_eq!(
        (state.on_hand, state.held, state.until),
        (10, 4, Some(until))
    );
}

#[test]
fn the_kit_matches_a_rejection_by_its_variant() {
    given::<Bin>([Stocked { quantity: 3 }.into()])
        .with_services(Carriers::default())
        .when(Hold {
            id: "b".into(),
            quantity: 5,
            grams: 1,
        })
        .then_expect_rejection(BinRejection::Short { available: 3 });
    let rejection = given::<Bin>([Stocked { quantity: 3 }.into()])
        .with_services(Carriers::default())
        .when(Hold {
            id: "b".into(),
            quantity: 1,
            grams: 90_000,
        })
        .then_expect_rejection_code("too_heavy");
    assert_eq!(rejection.field(), Some("grams"));
}

#[test]
#[should_panic(expected = "the command was refused for another reason")]
fn the_kit_fails_on_another_variant() {
    given::<Bin>([Stocked { quantity: 3 }.into()])
        .with_services(Carriers::default())
        .when(Hold {
            id: "b".into(),
            quantity: 5,
            grams: 1,
        })
        .then_expect_rejection(BinRejection::Short { available: 4 });
}

#[test]
#[should_panic(expected = "the command recorded other events than expected")]
fn the_kit_fails_on_other_events() {
    given::<Bin>([Stocked { quantity: 3 }.into()])
        .with_services(Carriers::default())
        .at(nine_o_clock())
        .when(Hold {
            id: "b".into(),
            quantity: 1,
            grams: 100,
        })
        .then_expect_events([Held {
            quantity: 1,
            until: nine_o_clock(),
            rate_cents: 501,
        }]);
}

#[tokio::test]
async fn the_kit_awaits_a_handler_on_the_tests_runtime() {
    let clock = ManualClock::at(nine_o_clock());
    let held = Held {
        quantity: 2,
        until: nine_o_clock(),
        rate_cents: 500,
    };
    clock.advance(TimeDelta::seconds(1));
    given::<Bin>([Stocked { quantity: 3 }.into(), held.into()])
        .with_services(Carriers::default())
        .with_clock(clock)
        .when_async(ReleaseExpired { id: "b".into() })
        .await
        .then_expect_events([Released { quantity: 2 }]);
}
