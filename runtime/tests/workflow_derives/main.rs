//! Workflows written with `#[derive(Policy)]` and `#[derive(ProcessManager)]`, checked with the
//! test kit: a clinic whose appointments are confirmed when booked, reminded the day before, and
//! marked as missed (with a fee) when nobody checked in a quarter of an hour after the slot.
//! The clinic's aggregates are in `clinic.rs`.

mod clinic;

use chrono::{DateTime, Duration, TimeZone, Utc};
use clinic::*;
use eventwright::testing::{given_policy, given_process};
use eventwright::workflow::{Handles, React, Refused, Steps};
use eventwright::{EventEnvelope, Policy, ProcessManager, Rejection};
use serde::{Deserialize, Serialize};

/// Confirms each booking to its patient: one event type, the other kinds ignored.
#[derive(Debug, Policy)]
#[policy(name = "confirm-bookings", event = AppointmentEvent, ignore(CheckedIn, Cancelled, MarkedNoShow))]
pub struct ConfirmBookings;

impl React<Booked> for ConfirmBookings {
    fn react(&self, event: &Booked, _: &EventEnvelope, steps: &mut Steps) {
        steps.send(notify(&event.patient, "booked"));
    }
}

/// Tells patients what they are charged and why: the events of both aggregates.
#[derive(Debug, Policy)]
#[policy(
    name = "receipts",
    events(AppointmentEvent, PatientEvent),
    ignore(Booked, CheckedIn, Cancelled, Notified)
)]
pub struct Receipts;

impl React<MarkedNoShow> for Receipts {
    fn react(&self, event: &MarkedNoShow, _: &EventEnvelope, steps: &mut Steps) {
        steps.send(notify(&event.patient, "missed"));
    }
}

impl React<FeeCharged> for Receipts {
    fn react(&self, event: &FeeCharged, envelope: &EventEnvelope, steps: &mut Steps) {
        let message = format!("charged {}", event.amount);
        steps.send(notify(&envelope.aggregate_id, &message));
    }
}

/// An appointment from its booking to the visit, a cancellation, or the fee for missing it.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub patient: String,
    pub waived: bool,
}

/// What the attendance timers carry.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub enum Due {
    Reminder,
    NoShow { appointment: String },
}

const FEE: i64 = 40;

#[derive(Debug, ProcessManager)]
#[process(
    name = "attendance",
    events(AppointmentEvent, PatientEvent),
    state = Visit,
    timer = Due,
    ignore(MarkedNoShow, Notified),
    on_timer = Self::due,
    on_refused = Self::refused,
)]
pub struct Attendance;

impl Handles<Booked> for Attendance {
    const STARTS: bool = true;

    fn handle(
        &self,
        visit: &mut Visit,
        event: &Booked,
        envelope: &EventEnvelope,
        steps: &mut Steps<Due>,
    ) {
        visit.patient = event.patient.clone();
        steps.schedule_at("reminder", event.slot - Duration::days(1), Due::Reminder);
        let appointment = envelope.aggregate_id.clone();
        steps.schedule_at("no-show", event.slot + grace(), Due::NoShow { appointment });
    }
}

impl Handles<CheckedIn> for Attendance {
    fn handle(&self, _: &mut Visit, _: &CheckedIn, _: &EventEnvelope, steps: &mut Steps<Due>) {
        close(steps);
    }
}

impl Handles<Cancelled> for Attendance {
    fn handle(&self, _: &mut Visit, _: &Cancelled, _: &EventEnvelope, steps: &mut Steps<Due>) {
        close(steps);
    }
}

/// Nothing left to wait for: the timers go with the process.
fn close(steps: &mut Steps<Due>) {
    steps.cancel("reminder");
    steps.cancel("no-show");
    steps.finish();
}

/// A patient's event, of the appointment it names.
impl Handles<FeeCharged> for Attendance {
    fn correlate(event: &FeeCharged, _: &EventEnvelope) -> Option<String> {
        Some(event.appointment.clone())
    }

    fn handle(&self, _: &mut Visit, _: &FeeCharged, _: &EventEnvelope, steps: &mut Steps<Due>) {
        steps.finish();
    }
}

impl Attendance {
    fn due(&self, visit: &mut Visit, due: Due, steps: &mut Steps<Due>) {
        match due {
            Due::Reminder => steps.send(notify(&visit.patient, "tomorrow")),
            Due::NoShow { appointment } => {
                steps.send(MarkNoShow {
                    id: appointment.clone(),
                });
                steps.send(ChargeFee {
                    patient: visit.patient.clone(),
                    appointment,
                    amount: FEE,
                });
            }
        }
    }

    fn refused(&self, visit: &mut Visit, refused: &Refused<'_>, steps: &mut Steps<Due>) {
        if refused.command::<ChargeFee>().is_some() {
            visit.waived = true;
            steps.send(notify(&visit.patient, "waived"));
            steps.finish();
        }
    }
}

/// Asks the patient to book again when the clinic cancelled: one event type, no timers.
#[derive(Debug, ProcessManager)]
#[process(name = "rebooking", event = AppointmentEvent, state = Visit, ignore(CheckedIn, MarkedNoShow))]
pub struct Rebooking;

impl Handles<Booked> for Rebooking {
    const STARTS: bool = true;

    fn handle(&self, visit: &mut Visit, event: &Booked, _: &EventEnvelope, _: &mut Steps<()>) {
        visit.patient = event.patient.clone();
    }
}

impl Handles<Cancelled> for Rebooking {
    fn handle(
        &self,
        visit: &mut Visit,
        event: &Cancelled,
        _: &EventEnvelope,
        steps: &mut Steps<()>,
    ) {
        if event.reason == "doctor ill" {
            steps.send(notify(&visit.patient, "please book again"));
        }
        steps.finish();
    }
}

fn notify(patient: &str, message: &str) -> Notify {
    Notify {
        patient: patient.into(),
        message: message.into(),
    }
}

fn grace() -> Duration {
    Duration::minutes(15)
}

fn monday_nine() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 9, 0, 0).unwrap()
}

fn booked(patient: &str) -> Booked {
    Booked {
        patient: patient.into(),
        slot: monday_nine() + Duration::days(3),
    }
}

// The tests.

#[test]
fn the_derives_name_each_workflow() {
    assert_eq!(ConfirmBookings::NAME, "confirm-bookings");
    assert_eq!(Receipts::NAME, "receipts");
    assert_eq!(Attendance::NAME, "attendance");
    assert_eq!(Rebooking::NAME, "rebooking");
}

#[test]
fn a_policy_reacts_to_the_kinds_it_handles_and_ignores_the_others() {
    given_policy(ConfirmBookings)
        .when::<Appointment>("a-1", booked("p-1"))
        .then_sends(notify("p-1", "booked"))
        .then_sends_nothing_more();
    given_policy(ConfirmBookings)
        .when::<Appointment>("a-1", CheckedIn {})
        .then_sends_nothing_more();
}

#[test]
fn a_policy_of_several_event_types_routes_each_to_its_kind() {
    given_policy(Receipts)
        .when::<Appointment>(
            "a-1",
            MarkedNoShow {
                patient: "p-1".into(),
            },
        )
        .then_sends(notify("p-1", "missed"))
        .then_sends_nothing_more();
    let charged = FeeCharged {
        appointment: "a-1".into(),
        amount: FEE,
    };
    given_policy(Receipts)
        .when::<Patient>("p-1", charged)
        .then_sends(notify("p-1", "charged 40"))
        .then_sends_nothing_more();
    given_policy(Receipts)
        .when::<Appointment>("a-1", booked("p-1"))
        .then_sends_nothing_more();
}

#[test]
fn only_the_kinds_that_say_so_start_a_process() {
    // The hidden enum of both event types converts from each.
    assert!(Attendance.starts(&AppointmentEvent::from(booked("p-1")).into()));
    assert!(!Attendance.starts(&AppointmentEvent::from(CheckedIn {}).into()));
    given_process(Attendance)
        .when::<Appointment>("a-9", CheckedIn {})
        .then_sends_nothing_more();
}

#[test]
fn a_booking_sets_a_reminder_and_a_no_show_timer() {
    let slot = booked("p-1").slot;
    given_process(Attendance)
        .at(monday_nine())
        .when::<Appointment>("a-1", booked("p-1"))
        .then_sends_nothing_more()
        .then_schedules("reminder", slot - Duration::days(1))
        .then_schedules("no-show", slot + grace());
    given_process(Attendance)
        .at(monday_nine())
        .event::<Appointment>("a-1", booked("p-1"))
        .when_time_passes(Duration::days(2))
        .then_fires("reminder")
        .then_sends(notify("p-1", "tomorrow"))
        .then_sends_nothing_more();
}

#[test]
fn nobody_checked_in_marks_a_no_show_and_charges_until_the_fee_ends_the_process() {
    let given = given_process(Attendance)
        .at(monday_nine())
        .event::<Appointment>("a-1", booked("p-1"));
    given
        .when_time_passes(Duration::days(3) + grace())
        .then_fires("no-show")
        .then_sends(notify("p-1", "tomorrow"))
        .then_sends(MarkNoShow { id: "a-1".into() })
        .then_sends(ChargeFee {
            patient: "p-1".into(),
            appointment: "a-1".into(),
            amount: FEE,
        })
        .then_sends_nothing_more();
    // The patient's event names the appointment: it reaches that process, and ends it.
    let charged = FeeCharged {
        appointment: "a-1".into(),
        amount: FEE,
    };
    let given = given_process(Attendance)
        .at(monday_nine())
        .event::<Appointment>("a-1", booked("p-1"));
    assert!(given.state("a-1").is_some());
    let given = given.event::<Patient>("p-1", charged);
    assert_eq!(given.state("a-1"), None, "finished");
}

#[test]
fn a_fee_refused_is_waived() {
    given_process(Attendance)
        .at(monday_nine())
        .refusing::<ChargeFee>(Rejection::refused("exempt", "the patient pays no fees"))
        .event::<Appointment>("a-1", booked("p-1"))
        .when_time_passes(Duration::days(3) + grace())
        .then_sends(notify("p-1", "tomorrow"))
        .then_sends(MarkNoShow { id: "a-1".into() })
        .then_sends(ChargeFee {
            patient: "p-1".into(),
            appointment: "a-1".into(),
            amount: FEE,
        })
        .then_sends(notify("p-1", "waived"))
        .then_sends_nothing_more()
        .then_finishes();
}

#[test]
fn checking_in_drops_the_timers_and_ends_the_process() {
    let given = given_process(Attendance)
        .at(monday_nine())
        .event::<Appointment>("a-1", booked("p-1"));
    let then = given
        .when::<Appointment>("a-1", CheckedIn {})
        .then_cancels("reminder")
        .then_cancels("no-show")
        .then_finishes();
    assert_eq!(then.sent().count(), 0);
}

#[test]
fn ignored_kinds_belong_to_no_process() {
    let given = given_process(Attendance)
        .at(monday_nine())
        .event::<Appointment>("a-1", booked("p-1"));
    let notified = Notified {
        message: "hello".into(),
    };
    let given = given
        .event::<Patient>("a-1", notified)
        .event::<Appointment>(
            "a-1",
            MarkedNoShow {
                patient: "p-1".into(),
            },
        );
    assert_eq!(
        given.state("a-1"),
        Some(&Visit {
            patient: "p-1".into(),
            waived: false,
        })
    );
}

#[test]
fn a_process_of_one_event_type_without_timers() {
    let cancelled = |reason: &str| Cancelled {
        reason: reason.into(),
    };
    given_process(Rebooking)
        .event::<Appointment>("a-1", booked("p-1"))
        .when::<Appointment>("a-1", cancelled("doctor ill"))
        .then_sends(notify("p-1", "please book again"))
        .then_finishes();
    given_process(Rebooking)
        .event::<Appointment>("a-1", booked("p-1"))
        .when::<Appointment>("a-1", cancelled("patient asked"))
        .then_sends_nothing_more()
        .then_finishes();
}
