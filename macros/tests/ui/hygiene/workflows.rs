// The workflow derives' code resolves nothing through the user's scope: the prelude's names are
// shadowed in one module, absent in another, and the runtime is reached under another name.

#![allow(dead_code)]

use ::eventwright as ew;

mod shadowed {
    use eventwright::workflow::{Handles, React, Refused, Steps};
    use eventwright::EventEnvelope;
    use serde::{Deserialize, Serialize};

    pub struct Result;
    pub struct Option;
    pub struct String;
    pub struct Some;
    pub struct None;
    pub trait From {}
    pub trait Default {}
    pub mod core {}
    pub mod std {}

    #[derive(Serialize, Deserialize)]
    pub struct Rang {}

    #[derive(Serialize, Deserialize)]
    pub struct Silenced {}

    #[derive(eventwright::Event)]
    pub enum BellEvent {
        Rang(Rang),
        Silenced(Silenced),
    }

    #[derive(Serialize, Deserialize, eventwright::Event)]
    pub struct Knocked {}

    #[derive(eventwright::Policy)]
    #[policy(name = "answer", events(BellEvent, Knocked), ignore(Silenced))]
    pub struct Answer;

    impl React<Rang> for Answer {
        fn react(&self, _: &Rang, _: &EventEnvelope, _: &mut Steps) {}
    }

    impl React<Knocked> for Answer {
        fn react(&self, _: &Knocked, _: &EventEnvelope, _: &mut Steps) {}
    }

    #[derive(::std::default::Default, Serialize, Deserialize)]
    pub struct Ringing {
        pub times: u32,
    }

    #[derive(eventwright::ProcessManager)]
    #[process(
        name = "ringing",
        event = BellEvent,
        state = Ringing,
        timer = u32,
        on_timer = Self::ring,
        on_refused = Self::refused,
    )]
    pub struct Ringer;

    impl Handles<Rang> for Ringer {
        const STARTS: bool = true;

        fn handle(&self, state: &mut Ringing, _: &Rang, _: &EventEnvelope, _: &mut Steps<u32>) {
            state.times += 1;
        }
    }

    impl Handles<Silenced> for Ringer {
        fn correlate(_: &Silenced, _: &EventEnvelope) -> ::std::option::Option<::std::string::String> {
            ::std::option::Option::None
        }

        fn handle(&self, _: &mut Ringing, _: &Silenced, _: &EventEnvelope, _: &mut Steps<u32>) {}
    }

    impl Ringer {
        fn ring(&self, _: &mut Ringing, _: u32, _: &mut Steps<u32>) {}
        fn refused(&self, _: &mut Ringing, _: &Refused<'_>, _: &mut Steps<u32>) {}
    }
}

#[no_implicit_prelude]
mod bare {
    #[derive(::serde::Serialize, ::serde::Deserialize)]
    pub struct Opened {}

    #[derive(::eventwright::Event)]
    pub enum DoorEvent {
        Opened(Opened),
    }

    #[derive(::eventwright::Policy)]
    #[policy(name = "greet", event = DoorEvent, ignore(Opened))]
    pub struct Greet;

    #[derive(::std::default::Default, ::serde::Serialize, ::serde::Deserialize)]
    pub struct Open {}

    #[derive(::eventwright::ProcessManager)]
    #[process(name = "door", events(DoorEvent, super::shadowed::Knocked), state = Open, ignore(Opened, super::shadowed::Knocked))]
    pub struct Door;
}

#[derive(ew::Policy)]
#[eventwright(crate = "ew")]
#[policy(name = "renamed", event = bare::DoorEvent, ignore(bare::Opened))]
pub struct Renamed;

fn main() {
    use ew::workflow::{Policy, ProcessManager};

    assert_eq!(shadowed::Answer::NAME, "answer");
    assert_eq!(shadowed::Ringer::NAME, "ringing");
    assert_eq!(bare::Greet::NAME, "greet");
    assert_eq!(bare::Door::NAME, "door");
    assert_eq!(Renamed::NAME, "renamed");
}
