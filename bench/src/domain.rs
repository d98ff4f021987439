//! The same counter twice: as an eventwright aggregate and as a cqrs-es one. Each command records
//! one small event, `{"to": n}`, so the contenders write rows of the same size.

use cqrs_es::event_sink::EventSink;
use eventwright::{Aggregate, Apply, Command, Event, Handle, Rejection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = CounterEvent, snapshot_every = 100)]
pub struct Counter {
    pub value: u64,
}

/// Starts a counter: a fresh aggregate's first event.
#[derive(Debug, Clone, Serialize, Deserialize, Command)]
#[command(aggregate = Counter, creates)]
pub struct Start {
    #[command(id)]
    pub id: String,
}

/// One more event on an existing counter; retried on conflict, as a caller would.
#[derive(Debug, Clone, Serialize, Deserialize, Command)]
#[command(aggregate = Counter, retries = 10000)]
pub struct Bump {
    #[command(id)]
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bumped {
    pub to: u64,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum CounterEvent {
    Bumped(Bumped),
}

impl Apply<Bumped> for Counter {
    fn apply(&mut self, event: &Bumped) {
        self.value = event.to;
    }
}

impl Handle<Start> for Counter {
    fn handle(&self, _: &Start) -> Result<Vec<CounterEvent>, Rejection> {
        Ok(vec![Bumped { to: 1 }.into()])
    }
}

impl Handle<Bump> for Counter {
    fn handle(&self, _: &Bump) -> Result<Vec<CounterEvent>, Rejection> {
        Ok(vec![Bumped { to: self.value + 1 }.into()])
    }
}

/// The counter as cqrs-es has it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct PeerCounter {
    value: u64,
}

#[derive(Debug)]
pub struct PeerBump;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PeerEvent {
    Bumped { to: u64 },
}

impl cqrs_es::DomainEvent for PeerEvent {
    fn event_type(&self) -> String {
        "Bumped".to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

#[derive(Debug)]
pub struct PeerError;

impl std::fmt::Display for PeerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused")
    }
}

impl std::error::Error for PeerError {}

impl cqrs_es::Aggregate for PeerCounter {
    const TYPE: &'static str = "Counter";
    type Command = PeerBump;
    type Event = PeerEvent;
    type Error = PeerError;
    type Services = ();

    async fn handle(
        &mut self,
        _: Self::Command,
        _: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let to = self.value + 1;
        sink.write(PeerEvent::Bumped { to }, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        let PeerEvent::Bumped { to } = event;
        self.value = to;
    }
}
