// `#[eventwright(crate = "...")]` reaches the runtime through another path, as when it is renamed
// in Cargo.toml or re-exported by a facade crate. No `eventwright` path is used below.

use ::eventwright as ew;
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Counted {
    pub by: u32,
}

#[derive(Debug, PartialEq, ew::Event)]
#[eventwright(crate = "ew")]
pub enum CounterEvent {
    Counted(Counted),
}

#[derive(Debug, PartialEq, thiserror::Error, ew::DomainRejection)]
#[eventwright(crate = "ew")]
pub enum CounterRejection {
    #[error("over the limit of {0}")]
    #[rejection(code = "over_limit", field = "by")]
    OverLimit(u32),
}

pub struct Limit(pub u32);

#[derive(Default, ew::Aggregate)]
#[eventwright(crate = "ew")]
#[aggregate(id = String, event = CounterEvent, services = Limit, rejection = CounterRejection)]
pub struct Counter {
    total: u32,
}

impl ew::Apply<Counted> for Counter {
    fn apply(&mut self, event: &Counted) {
        self.total += event.by;
    }
}

#[derive(ew::Command)]
#[eventwright(crate = "ew")]
#[command(aggregate = Counter)]
pub struct Count {
    pub id: String,
    pub by: u32,
}

impl ew::Handle<Count> for Counter {
    fn handle(&self, command: &Count) -> Result<Vec<CounterEvent>, CounterRejection> {
        Ok(vec![CounterEvent::Counted(Counted { by: command.by })])
    }
}

#[derive(ew::Command)]
#[eventwright(crate = "ew")]
#[command(aggregate = Counter)]
pub struct CountUpToLimit {
    pub id: String,
    pub by: u32,
}

impl ew::HandleWith<CountUpToLimit> for Counter {
    async fn handle(
        &self,
        command: &CountUpToLimit,
        context: ew::Context<'_, Limit>,
    ) -> Result<Vec<CounterEvent>, CounterRejection> {
        let limit = context.services().0;
        if self.total + command.by > limit {
            return Err(CounterRejection::OverLimit(limit));
        }
        Ok(vec![CounterEvent::Counted(Counted { by: command.by })])
    }
}

#[derive(Serialize, Deserialize, ew::Projection)]
#[eventwright(crate = "ew")]
#[projection(event = CounterEvent, key = id)]
pub struct Total {
    pub id: String,
    pub total: i64,
}

impl ew::Project<Counted> for Total {
    fn project(row: Option<Self>, event: &Counted, envelope: &ew::EventEnvelope) -> ew::Change<Self> {
        let total = row.map_or(0, |row| row.total) + i64::from(event.by);
        ew::Change::Upsert(Total { id: envelope.aggregate_id.clone(), total })
    }
}

fn main() {
    use ew::{Aggregate, Handle};

    let mut counter = Counter::default();
    for event in counter.handle(&Count { id: "c".into(), by: 2 }).unwrap() {
        counter.apply_event(&event);
    }
    assert_eq!(counter.total, 2);

    ew::testing::given::<Counter>([CounterEvent::Counted(Counted { by: 2 })])
        .with_services(Limit(3))
        .when(CountUpToLimit { id: "c".into(), by: 2 })
        .then_expect_rejection(CounterRejection::OverLimit(3));
}
