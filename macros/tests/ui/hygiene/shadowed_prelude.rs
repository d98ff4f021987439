// Generated code must not resolve names through the user's scope: the prelude's types are
// shadowed here, and a second module has no prelude at all.

#![allow(dead_code)]

mod shadowed {
    use eventwright::{Apply, Change, EventEnvelope, Handle, Project, Rejection};
    use serde::{Deserialize, Serialize};

    pub struct Result;
    pub struct Option;
    pub struct Vec;
    pub struct String;
    pub struct Box;
    pub struct Some;
    pub struct None;
    pub struct Ok;
    pub struct Err;
    pub trait From {}
    pub trait Default {}
    pub mod core {}
    pub mod std {}
    pub mod serde_json {}

    type Text = ::std::string::String;

    #[derive(Serialize, Deserialize)]
    pub struct Opened {
        pub id: Text,
    }

    #[derive(Serialize, Deserialize)]
    pub struct Closed {}

    fn opened_v1_to_v2(payload: ::serde_json::Value) -> ::std::result::Result<::serde_json::Value, Text> {
        ::std::result::Result::Ok(payload)
    }

    #[derive(eventwright::Event)]
    pub enum DoorEvent {
        #[event(version = 2, upcast(from = 1, with = opened_v1_to_v2), tags(id))]
        Opened(Opened),
        #[event(name = "DoorClosed", version = 2)]
        Closed(Closed),
    }

    #[derive(eventwright::Event, Serialize, Deserialize)]
    #[event(tags(by))]
    pub struct Knocked {
        pub by: ::std::option::Option<Text>,
    }

    #[derive(::std::default::Default, eventwright::Fact)]
    #[fact(from = Door, name = "openings")]
    pub struct Openings {
        #[fact(tag)]
        pub id: Text,
        pub count: u32,
    }

    impl Apply<DoorEvent> for Openings {
        fn apply(&mut self, event: &DoorEvent) {
            if let DoorEvent::Opened(_) = event {
                self.count += 1;
            }
        }
    }

    #[derive(::std::default::Default, Serialize, Deserialize, eventwright::Aggregate)]
    #[aggregate(id = Text, event = DoorEvent, snapshot_every = 10)]
    pub struct Door {
        open: bool,
    }

    impl Apply<Opened> for Door {
        fn apply(&mut self, _: &Opened) {
            self.open = true;
        }
    }

    impl Apply<Closed> for Door {
        fn apply(&mut self, _: &Closed) {
            self.open = false;
        }
    }

    #[derive(eventwright::Command)]
    #[command(aggregate = Door, creates)]
    pub struct Open {
        pub id: Text,
    }

    impl Handle<Open> for Door {
        fn handle(&self, command: &Open) -> ::std::result::Result<::std::vec::Vec<DoorEvent>, Rejection> {
            ::std::result::Result::Ok(::std::vec![DoorEvent::Opened(Opened { id: command.id.clone() })])
        }
    }

    #[derive(eventwright::Command)]
    pub enum DoorCommand {
        Open(Open),
    }

    #[derive(Serialize, Deserialize, eventwright::Projection)]
    #[projection(event = DoorEvent, key = id, ignore(Closed))]
    pub struct DoorRow {
        pub id: Text,
        pub note: ::std::option::Option<Text>,
    }

    impl Project<Opened> for DoorRow {
        fn project(_: ::std::option::Option<Self>, event: &Opened, _: &EventEnvelope) -> Change<Self> {
            Change::Upsert(DoorRow { id: event.id.clone(), note: ::std::option::Option::None })
        }
    }
}

#[no_implicit_prelude]
mod bare {
    #[derive(::serde::Serialize, ::serde::Deserialize)]
    pub struct Rang {
        pub times: u32,
    }

    #[derive(::eventwright::Event)]
    pub enum BellEvent {
        #[event(tags(times))]
        Rang(Rang),
    }

    #[derive(::std::default::Default, ::eventwright::Fact)]
    #[fact(from = Bell)]
    pub struct Peals {
        #[fact(tag)]
        pub times: u32,
        #[fact(tag)]
        pub tower: ::std::string::String,
    }

    impl ::eventwright::Apply<BellEvent> for Peals {
        fn apply(&mut self, _: &BellEvent) {}
    }

    #[derive(
        ::std::default::Default,
        ::serde::Serialize,
        ::serde::Deserialize,
        ::eventwright::Aggregate,
    )]
    #[aggregate(id = ::std::string::String, event = BellEvent, persistence = "state_stored")]
    pub struct Bell {
        rung: u32,
    }

    impl ::eventwright::Apply<Rang> for Bell {
        fn apply(&mut self, event: &Rang) {
            self.rung += event.times;
        }
    }
}

fn main() {
    use eventwright::{Aggregate, Event};

    let event = shadowed::DoorEvent::decode("DoorClosed", 2, serde_json::json!({})).unwrap().unwrap();
    assert_eq!(event.event_type(), "DoorClosed");
    let mut bell = bare::Bell::default();
    bell.apply_event(&bare::BellEvent::Rang(bare::Rang { times: 2 }));
    let row = bell.snapshot().unwrap();
    assert_eq!(row, serde_json::json!({ "rung": 2 }));
    assert!(bare::Bell::restore(row).is_ok());
    assert_eq!(bare::Bell::PERSISTENCE, eventwright::Persistence::StateStored);
    assert_eq!(<shadowed::Open as eventwright::Command>::NAME, "open");
    let opened = shadowed::DoorEvent::decode("Opened", 1, serde_json::json!({ "id": "d" })).unwrap().unwrap();
    assert_eq!(opened.event_version(), 2);
    let open = shadowed::DoorCommand::from(shadowed::Open { id: "d".into() });
    assert_eq!(eventwright::Commands::name(&open), "open");
    assert_eq!(<shadowed::DoorRow as eventwright::Projection>::SCHEMA.name, "door_row");

    use eventwright::decision::{Fact, KeyedFact};
    type OpeningsTags = <shadowed::Openings as KeyedFact>::Tags;
    let openings = shadowed::Openings::from_tags(OpeningsTags { id: "d".to_owned() });
    assert_eq!(<shadowed::Openings as Fact>::NAME, "openings");
    assert_eq!(openings.query().tags().len(), 1);
    let knocked = shadowed::Knocked { by: Some("ann".into()) };
    assert_eq!(eventwright::event::tags_of(&knocked).len(), 1);
    let peals = bare::Peals { times: 3, tower: "st-mary".into() };
    assert_eq!(peals.query().tags().len(), 2);
}
