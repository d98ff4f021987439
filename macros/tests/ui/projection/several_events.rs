// `events(..)` names every event type a projection receives: not beside `event`, each once, at
// least one; and each kind of each is projected or ignored.
use eventwright::{Change, Event, EventEnvelope, Project, Projection};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Joined {}

#[derive(Serialize, Deserialize)]
pub struct Lent {}

#[derive(Event)]
pub enum MemberEvent {
    Joined(Joined),
}

#[derive(Event)]
pub enum BookEvent {
    Lent(Lent),
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(event = MemberEvent, events(MemberEvent, BookEvent), key = member_id)]
pub struct Both {
    pub member_id: String,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(events(MemberEvent, BookEvent, MemberEvent), key = member_id)]
pub struct Twice {
    pub member_id: String,
}

#[derive(Serialize, Deserialize, Projection)]
#[projection(events(), key = member_id)]
pub struct Nothing {
    pub member_id: String,
}

// `Lent`, a kind of `BookEvent`, is neither projected nor ignored.
#[derive(Serialize, Deserialize, Projection)]
#[projection(events(MemberEvent, BookEvent), key = member_id)]
pub struct Loans {
    pub member_id: String,
}

impl Project<Joined> for Loans {
    fn project(_: Option<Self>, _: &Joined, envelope: &EventEnvelope) -> Change<Self> {
        Change::Upsert(Loans {
            member_id: envelope.aggregate_id.clone(),
        })
    }
}

fn main() {}

// Two event types naming an event alike: a stored `Joined` would have two meanings.
pub mod clash {
    use eventwright::{Event, Projection};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    pub struct Joined {}

    #[derive(Event)]
    pub enum ClubEvent {
        Joined(Joined),
    }

    #[derive(Serialize, Deserialize, Projection)]
    #[projection(events(super::MemberEvent, ClubEvent), key = member_id, ignore(super::Joined, Joined))]
    pub struct Clash {
        pub member_id: String,
    }
}
