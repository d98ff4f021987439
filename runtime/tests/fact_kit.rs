//! The given/when/then kit for decisions that read facts: events given on several aggregates
//! make up the log the facts are folded from, by their tags.

mod common;

use common::clinic::{
    Appointment, AppointmentEvent, BookAppointment, BookFollowUp, Booked, Cancelled, DoctorsDay,
    OpenAppointments, Patient, PatientRegistered,
};
use eventwright::decision::{Changes, Decide, Fact, Read, Reads};
use eventwright::tag::{EventQuery, Tag};
use eventwright::testing::given_aggregates;
use eventwright::{Decision, DispatchError, Event};

fn booked(patient: &str, doctor: &str, day: &str) -> AppointmentEvent {
    Booked {
        patient: patient.into(),
        doctor: doctor.into(),
        day: day.into(),
    }
    .into()
}

fn cancelled(patient: &str, doctor: &str, day: &str) -> AppointmentEvent {
    Cancelled {
        patient: patient.into(),
        doctor: doctor.into(),
        day: day.into(),
    }
    .into()
}

fn registered() -> PatientRegistered {
    PatientRegistered { name: "Ada".into() }
}

fn booking(id: &str, patient: &str) -> BookAppointment {
    BookAppointment {
        id: id.into(),
        patient: patient.into(),
        doctor: "dr-who".into(),
        day: "2026-12-07".into(),
    }
}

#[test]
fn events_carry_the_tags_their_variant_names() {
    let mut tags = eventwright::tag::Tags::default();
    booked("p-1", "dr-who", "mon").tags(&mut tags);
    let tags: Vec<String> = tags.into_vec().iter().map(Tag::to_string).collect();
    assert_eq!(tags, ["day=mon", "doctor=dr-who", "patient=p-1"]);
}

#[test]
fn a_fact_queries_its_aggregates_events_by_its_tags() {
    let fact = DoctorsDay {
        doctor: "dr-who".into(),
        day: "mon".into(),
        booked: 0,
    };
    let expected = EventQuery::default().or(
        "Appointment",
        &["Booked", "Cancelled"],
        vec![Tag::new("day", "mon"), Tag::new("doctor", "dr-who")],
    );
    assert_eq!(fact.query(), expected);
    assert_eq!(DoctorsDay::NAME, "doctors_day");
}

#[test]
fn a_booking_counts_every_appointment_of_the_doctors_day() {
    given_aggregates()
        .aggregate::<Patient>("p-4", [registered().into()])
        .aggregate::<Appointment>("a-1", [booked("p-1", "dr-who", "2026-12-07")])
        .aggregate::<Appointment>("a-2", [booked("p-2", "dr-who", "2026-12-07")])
        // Another doctor, and another day: not the same fact.
        .aggregate::<Appointment>("a-3", [booked("p-3", "dr-no", "2026-12-07")])
        .aggregate::<Appointment>("a-4", [booked("p-3", "dr-who", "2026-12-08")])
        .when(booking("a-5", "p-4"))
        .then_expect_events::<Appointment>("a-5", [booked("p-4", "dr-who", "2026-12-07")]);

    given_aggregates()
        .aggregate::<Patient>("p-4", [registered().into()])
        .aggregate::<Appointment>("a-1", [booked("p-1", "dr-who", "2026-12-07")])
        .aggregate::<Appointment>("a-2", [booked("p-2", "dr-who", "2026-12-07")])
        .aggregate::<Appointment>("a-3", [booked("p-3", "dr-who", "2026-12-07")])
        .when(booking("a-5", "p-4"))
        .then_expect_refusal("the doctor's day is full");
}

#[test]
fn a_cancelled_appointment_frees_its_place_in_both_facts() {
    given_aggregates()
        .aggregate::<Patient>("p-4", [registered().into()])
        .aggregate::<Appointment>("a-1", [booked("p-1", "dr-who", "2026-12-07")])
        .aggregate::<Appointment>("a-2", [booked("p-4", "dr-who", "2026-12-07")])
        .aggregate::<Appointment>("a-3", [booked("p-4", "dr-who", "2026-12-07")])
        .aggregate::<Appointment>("a-3", [cancelled("p-4", "dr-who", "2026-12-07")])
        .when(booking("a-5", "p-4"))
        .then_expect_events::<Appointment>("a-5", [booked("p-4", "dr-who", "2026-12-07")]);
}

#[test]
fn a_patient_holds_at_most_two_open_appointments_whoever_books() {
    let two_open = || {
        given_aggregates()
            .aggregate::<Patient>("p-1", [registered().into()])
            .aggregate::<Appointment>("a-1", [booked("p-1", "dr-no", "2026-12-01")])
            .aggregate::<Appointment>("a-2", [booked("p-1", "dr-no", "2026-12-02")])
    };
    two_open()
        .when(booking("a-3", "p-1"))
        .then_expect_refusal("the patient has two open appointments");
    // The derive's field reads both the patient and the fact keyed by the same value.
    two_open()
        .when(BookFollowUp {
            id: "a-3".into(),
            patient: "p-1".into(),
            doctor: "dr-who".into(),
            day: "2026-12-07".into(),
        })
        .then_expect_refusal("the patient has two open appointments");
}

#[test]
fn a_follow_up_is_squeezed_into_a_full_day() {
    let mut given = given_aggregates().aggregate::<Patient>("p-9", [registered().into()]);
    for n in 0..3 {
        let event = booked(&format!("p-{n}"), "dr-who", "2026-12-07");
        given = given.aggregate::<Appointment>(format!("a-{n}"), [event]);
    }
    given
        .when(BookFollowUp {
            id: "a-9".into(),
            patient: "p-9".into(),
            doctor: "dr-who".into(),
            day: "2026-12-07".into(),
        })
        .then_expect_events::<Appointment>("a-9", [booked("p-9", "dr-who", "2026-12-07")]);
}

/// Asks for a fact its reads never named.
#[derive(Debug)]
struct Careless;

impl Decision for Careless {
    const NAME: &'static str = "careless";

    fn reads<R: Reads>(&self, reads: &mut R) {
        reads.aggregate::<Patient>(&"p-1".to_owned());
    }
}

impl Decide for Careless {
    fn decide(&self, read: &Read, _: &mut Changes) -> Result<(), DispatchError> {
        read.fact::<OpenAppointments>()?;
        Ok(())
    }
}

#[test]
fn a_fact_the_reads_did_not_name_is_an_error_naming_it() {
    let error = given_aggregates().when(Careless).then_expect_error();
    assert!(
        matches!(error, DispatchError::Undeclared { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the decision careless uses open_appointments (a fact), which its reads do not name"
    );
}
