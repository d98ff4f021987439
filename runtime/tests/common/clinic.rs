//! A clinic, written with the derives as a user would: rules that no one aggregate holds the
//! state for. A doctor sees at most three patients a day; a patient holds at most two open
//! appointments. Each appointment is its own aggregate, so both rules are facts folded from the
//! appointments' tagged events (`doctor`, `day`, `patient`), read by the decisions that book.
//! (A decision whose reads are written by hand is in `fact_kit.rs`.)

use eventwright::decision::{Changes, Decide, Read};
use eventwright::{
    Aggregate, Apply, Command, Decision, DispatchError, Event, Fact, Handle, Rejection,
};
use serde::{Deserialize, Serialize};

pub const DOCTORS_DAY: u32 = 3;
pub const OPEN_PER_PATIENT: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientRegistered {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum PatientEvent {
    Registered(PatientRegistered),
}

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = PatientEvent, name = "Patient", persistence = "state_stored")]
pub struct Patient {
    pub name: String,
}

impl Apply<PatientRegistered> for Patient {
    fn apply(&mut self, event: &PatientRegistered) {
        self.name = event.name.clone();
    }
}

#[derive(Debug, Clone, Command)]
#[command(aggregate = Patient, creates)]
pub struct RegisterPatient {
    pub id: String,
    pub name: String,
}

impl Handle<RegisterPatient> for Patient {
    fn handle(&self, command: &RegisterPatient) -> Result<Vec<PatientEvent>, Rejection> {
        let name = command.name.clone();
        Ok(vec![PatientRegistered { name }.into()])
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booked {
    pub patient: String,
    pub doctor: String,
    pub day: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancelled {
    pub patient: String,
    pub doctor: String,
    pub day: String,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum AppointmentEvent {
    #[event(tags(patient, doctor, day))]
    Booked(Booked),
    #[event(tags(patient, doctor, day))]
    Cancelled(Cancelled),
}

#[derive(Debug, Default, Aggregate)]
#[aggregate(id = String, event = AppointmentEvent, name = "Appointment")]
pub struct Appointment {
    pub booked: Option<Booked>,
}

impl Apply<Booked> for Appointment {
    fn apply(&mut self, event: &Booked) {
        self.booked = Some(event.clone());
    }
}

impl Apply<Cancelled> for Appointment {
    fn apply(&mut self, _: &Cancelled) {
        self.booked = None;
    }
}

/// A plain command: it appends a tagged event without reading any fact, and the facts that
/// count it see it.
#[derive(Debug, Clone, Command)]
#[command(aggregate = Appointment)]
pub struct Cancel {
    pub id: String,
}

impl Handle<Cancel> for Appointment {
    fn handle(&self, _: &Cancel) -> Result<Vec<AppointmentEvent>, Rejection> {
        let Some(booked) = &self.booked else {
            return Err(Rejection::guard("not booked"));
        };
        Ok(vec![
            Cancelled {
                patient: booked.patient.clone(),
                doctor: booked.doctor.clone(),
                day: booked.day.clone(),
            }
            .into(),
        ])
    }
}

/// One doctor's appointments on one day: a fact with two tags.
#[derive(Debug, Default, Fact)]
#[fact(from = Appointment)]
pub struct DoctorsDay {
    #[fact(tag)]
    pub doctor: String,
    #[fact(tag)]
    pub day: String,
    pub booked: u32,
}

impl Apply<AppointmentEvent> for DoctorsDay {
    fn apply(&mut self, event: &AppointmentEvent) {
        match event {
            AppointmentEvent::Booked(_) => self.booked += 1,
            AppointmentEvent::Cancelled(_) => self.booked -= 1,
        }
    }
}

/// A patient's open appointments: a fact with one tag, which a decision's field can read.
#[derive(Debug, Default, Fact)]
#[fact(from = Appointment)]
pub struct OpenAppointments {
    #[fact(tag)]
    pub patient: String,
    pub open: u32,
}

impl Apply<AppointmentEvent> for OpenAppointments {
    fn apply(&mut self, event: &AppointmentEvent) {
        match event {
            AppointmentEvent::Booked(_) => self.open += 1,
            AppointmentEvent::Cancelled(_) => self.open -= 1,
        }
    }
}

/// Books an appointment if the doctor's day has room and the patient has room: the doctor's
/// day is read by the two fields holding its tags.
#[derive(Debug, Clone, Decision)]
#[decision(retries = 100)]
pub struct BookAppointment {
    #[decision(reads = Appointment)]
    pub id: String,
    #[decision(reads = Patient, fact = OpenAppointments)]
    pub patient: String,
    #[decision(fact = DoctorsDay)]
    pub doctor: String,
    #[decision(fact = DoctorsDay)]
    pub day: String,
}

impl Decide for BookAppointment {
    fn decide(&self, read: &Read, changes: &mut Changes) -> Result<(), DispatchError> {
        read.absent::<Appointment>(&self.id)?;
        read.existing::<Patient>(&self.patient)?;
        if read.fact::<DoctorsDay>()?.booked >= DOCTORS_DAY {
            return Err(Rejection::guard("the doctor's day is full").into());
        }
        if read.fact::<OpenAppointments>()?.open >= OPEN_PER_PATIENT {
            return Err(Rejection::guard("the patient has two open appointments").into());
        }
        changes.emit::<Appointment>(&self.id, self.booked());
        Ok(())
    }
}

impl BookAppointment {
    fn booked(&self) -> Booked {
        Booked {
            patient: self.patient.clone(),
            doctor: self.doctor.clone(),
            day: self.day.clone(),
        }
    }
}

/// A follow-up, squeezed into the doctor's day whatever its count, but still at most two open
/// per patient: the derive reads the patient and their open appointments from one field.
#[derive(Debug, Clone, Decision)]
#[decision(retries = 100)]
pub struct BookFollowUp {
    #[decision(reads = Appointment)]
    pub id: String,
    #[decision(reads = Patient, fact = OpenAppointments)]
    pub patient: String,
    pub doctor: String,
    pub day: String,
}

impl Decide for BookFollowUp {
    fn decide(&self, read: &Read, changes: &mut Changes) -> Result<(), DispatchError> {
        read.absent::<Appointment>(&self.id)?;
        read.existing::<Patient>(&self.patient)?;
        if read.fact::<OpenAppointments>()?.open >= OPEN_PER_PATIENT {
            return Err(Rejection::guard("the patient has two open appointments").into());
        }
        let booked = Booked {
            patient: self.patient.clone(),
            doctor: self.doctor.clone(),
            day: self.day.clone(),
        };
        changes.emit::<Appointment>(&self.id, booked);
        Ok(())
    }
}
