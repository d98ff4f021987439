//! A clinic's appointments and patients, the domain the derived workflows follow: written with
//! the derives as a user would.

use chrono::{DateTime, Utc};
use eventwright::{Aggregate, Apply, Command, Event, Handle, Rejection};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booked {
    pub patient: String,
    pub slot: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckedIn {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cancelled {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkedNoShow {
    pub patient: String,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum AppointmentEvent {
    Booked(Booked),
    CheckedIn(CheckedIn),
    Cancelled(Cancelled),
    MarkedNoShow(MarkedNoShow),
}

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = AppointmentEvent)]
pub struct Appointment {
    pub patient: String,
}

impl Apply<Booked> for Appointment {
    fn apply(&mut self, event: &Booked) {
        self.patient = event.patient.clone();
    }
}
impl Apply<CheckedIn> for Appointment {
    fn apply(&mut self, _: &CheckedIn) {}
}
impl Apply<Cancelled> for Appointment {
    fn apply(&mut self, _: &Cancelled) {}
}
impl Apply<MarkedNoShow> for Appointment {
    fn apply(&mut self, _: &MarkedNoShow) {}
}

#[derive(Debug, Clone, PartialEq, Command)]
#[command(aggregate = Appointment)]
pub struct MarkNoShow {
    #[command(id)]
    pub id: String,
}

impl Handle<MarkNoShow> for Appointment {
    fn handle(&self, _: &MarkNoShow) -> Result<Vec<AppointmentEvent>, Rejection> {
        let patient = self.patient.clone();
        Ok(vec![MarkedNoShow { patient }.into()])
    }
}

// The patients.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notified {
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeeCharged {
    pub appointment: String,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Event)]
pub enum PatientEvent {
    Notified(Notified),
    FeeCharged(FeeCharged),
}

#[derive(Debug, Default, Serialize, Deserialize, Aggregate)]
#[aggregate(id = String, event = PatientEvent)]
pub struct Patient {}

impl Apply<Notified> for Patient {
    fn apply(&mut self, _: &Notified) {}
}
impl Apply<FeeCharged> for Patient {
    fn apply(&mut self, _: &FeeCharged) {}
}

#[derive(Debug, Clone, PartialEq, Command)]
#[command(aggregate = Patient)]
pub struct Notify {
    #[command(id)]
    pub patient: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Command)]
#[command(aggregate = Patient)]
pub struct ChargeFee {
    #[command(id)]
    pub patient: String,
    pub appointment: String,
    pub amount: i64,
}

impl Handle<Notify> for Patient {
    fn handle(&self, command: &Notify) -> Result<Vec<PatientEvent>, Rejection> {
        let message = command.message.clone();
        Ok(vec![Notified { message }.into()])
    }
}

impl Handle<ChargeFee> for Patient {
    fn handle(&self, command: &ChargeFee) -> Result<Vec<PatientEvent>, Rejection> {
        let (appointment, amount) = (command.appointment.clone(), command.amount);
        Ok(vec![
            FeeCharged {
                appointment,
                amount,
            }
            .into(),
        ])
    }
}
