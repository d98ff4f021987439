use eventwright::decision::{Changes, Decide, Read};
use eventwright::{Aggregate, Apply, Decision, DispatchError, Event, Fact};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Event)]
#[event(tags(doctor, day))]
pub struct Booked {
    pub doctor: String,
    pub day: String,
}

#[derive(Default, Aggregate)]
#[aggregate(id = String, event = Booked)]
pub struct Appointment {}

impl Apply<Booked> for Appointment {
    fn apply(&mut self, _: &Booked) {}
}

/// Two tags: a decision names both.
#[derive(Default, Fact)]
#[fact(from = Appointment)]
pub struct DoctorsDay {
    #[fact(tag)]
    pub doctor: String,
    #[fact(tag)]
    pub day: String,
}

impl Apply<Booked> for DoctorsDay {
    fn apply(&mut self, _: &Booked) {}
}

/// One tag, a string: a number cannot be it.
#[derive(Default, Fact)]
#[fact(from = Appointment)]
pub struct DoctorsWeek {
    #[fact(tag)]
    pub doctor: String,
}

impl Apply<Booked> for DoctorsWeek {
    fn apply(&mut self, _: &Booked) {}
}

#[derive(Decision)]
pub struct BookAppointment {
    #[decision(reads = Appointment)]
    pub id: String,
    #[decision(fact = DoctorsDay)]
    pub doctor: String,
    #[decision(fact = DoctorsWeek, tag = doctor)]
    pub week: u32,
    #[decision(fact = DoctorsWeek, tag = docter)]
    pub doctor_again: String,
    // One field may hold the tags of several facts.
    #[decision(fact(DoctorsWeek, tag = doctor), fact(DoctorsDay, tag = doctor))]
    pub doctor_too: String,
}

impl Decide for BookAppointment {
    fn decide(&self, _: &Read, _: &mut Changes) -> Result<(), DispatchError> {
        Ok(())
    }
}

fn main() {}
