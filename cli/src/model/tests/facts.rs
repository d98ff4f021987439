//! Facts: states folded from tagged events, and the commands that read them.

use super::*;

/// A clinic: a booking reads the doctor's day, a fact folded from every appointment's events.
const CLINIC: &str = "\
version: 1
service: clinic
aggregates:
  Appointment:
    id: appointment_id
    id_type: string
    state:
      booked: bool
    commands:
      Book:
        creates: true
        fields:
          doctor_id: string
          day: date
        depends_on:
          doctors_day:
            fact: DoctorsDay
            guards:
              - { field: booked, at_most: 2, message: full }
        emits: [Booked]
    events:
      Booked:
        fields:
          doctor_id: string
          day: date
        tags: [doctor_id, day]
        apply:
          set_const: { booked: true }
      Cancelled:
        fields:
          doctor_id: string
          day: date
        tags: [doctor_id, day]
facts:
  DoctorsDay:
    tags: [doctor_id, day]
    state:
      booked: int
    on:
      Booked: { increment: { booked: 1 } }
      Cancelled: { decrement: { booked: 1 } }
";

/// `CLINIC` with line `line` (1-based) replaced by `with`.
fn clinic_with(line: usize, with: &str) -> String {
    let mut lines: Vec<&str> = CLINIC.lines().collect();
    lines[line - 1] = with;
    lines.join("\n") + "\n"
}

#[test]
fn a_booking_reads_the_doctors_day_by_the_fields_holding_its_tags() {
    let model = model(CLINIC);
    let fact = &model.facts[0];
    let tags: Vec<&str> = fact.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tags, ["doctor_id", "day"]);
    assert_eq!(fact.from(), ["Appointment"]);
    assert_eq!(fact.handlers.len(), 2);
    let book = &model.aggregates[0].commands[0];
    assert!(book.is_decision());
    let read = &book.facts[0];
    assert_eq!(read.name, "doctors_day");
    let fed: Vec<(&str, &str)> = read
        .tags
        .iter()
        .map(|(tag, from)| (tag.name.as_str(), from.name.as_str()))
        .collect();
    assert_eq!(fed, [("doctor_id", "doctor_id"), ("day", "day")]);
    assert_eq!(read.guards[0].field.name, "booked");
    let booked = &model.aggregates[0].events[0];
    assert_eq!(booked.tags.len(), 2);
}

#[test]
fn the_courses_example_validates() {
    let model = example("courses.yaml");
    let facts: Vec<&str> = model.facts.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(facts, ["CourseSeats", "Subscription"]);
    let subscribe = &model.aggregates[1].commands[1];
    let reads: Vec<&str> = subscribe.facts.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(reads, ["seats", "subscription"]);
    // The student's own id holds the subscription's `student_id` tag.
    assert_eq!(subscribe.facts[1].tags[0].1.name, "student_id");
}

#[test]
fn a_tag_names_a_field_of_the_event_of_a_type_a_tag_can_hold() {
    // And the fact folding it finds the event untagged.
    let found = errors(&clinic_with(26, "        tags: [doctor, day]"));
    assert_eq!(at(&found[0]), "26:16 event `Booked` has no field `doctor`");
    assert_eq!(found[0].hint.as_deref(), Some("did you mean `doctor_id`?"));
    assert_eq!(
        at(&found[1]),
        "40:7 event `Booked` is not tagged `doctor_id`, which names a `DoctorsDay`"
    );
    let found: Vec<String> = errors(&clinic_with(25, "          day: float"))
        .iter()
        .map(at)
        .collect();
    let expected = "26:27 `day` is `float`, which cannot tag an event";
    assert!(found.iter().any(|error| error == expected), "{found:#?}");
}

#[test]
fn a_fact_is_named_by_tags_every_event_it_folds_carries() {
    assert_eq!(
        error(&clinic_with(33, "        tags: [doctor_id]")),
        "41:7 event `Cancelled` is not tagged `day`, which names a `DoctorsDay`"
    );
    assert_eq!(
        error(&clinic_with(36, "    tags: []")),
        "35:3 fact `DoctorsDay` has no `tags`"
    );
    assert_eq!(
        error(&clinic_with(
            41,
            "      Canceled: { decrement: { booked: 1 } }"
        )),
        "41:7 fact `DoctorsDay` folds `Canceled`, which no aggregate declares"
    );
    assert_eq!(
        error(&clinic_with(
            41,
            "      Cancelled: { decrement: { bookd: 1 } }"
        )),
        "41:33 fact `DoctorsDay` has no field `bookd`"
    );
    assert_eq!(
        error(&clinic_with(38, "      booked: int\n      day: int")),
        "36:23 `day` is both a tag and a state field of `DoctorsDay`"
    );
}

#[test]
fn a_command_reads_a_fact_it_names_by_fields_of_the_tags_types() {
    let d = only(&clinic_with(17, "            fact: DoctorDay"));
    assert_eq!(at(&d), "17:19 unknown fact `DoctorDay`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `DoctorsDay`?"));
    // The event the command records needs the field too.
    let found = errors(&clinic_with(13, "          doctor: string"));
    assert_eq!(
        at(&found[0]),
        "16:11 command `Book` has no field `doctor_id`"
    );
    assert_eq!(
        error(&clinic_with(
            17,
            "            fact: DoctorsDay\n            tags: { doctor_id: doctor }"
        )),
        "18:32 command `Book` has no field `doctor`"
    );
    let found = errors(&clinic_with(14, "          day: string"));
    assert_eq!(
        at(&found[0]),
        "16:11 `day` is `string`, but the tag `day` of `DoctorsDay` is `date`"
    );
    assert_eq!(
        error(&clinic_with(
            17,
            "            fact: DoctorsDay\n            tags: { doctor: doctor_id }"
        )),
        "18:21 `doctor` is not a tag of `DoctorsDay`"
    );
    assert_eq!(
        error(&clinic_with(
            19,
            "              - { field: bookd, at_most: 2, message: full }"
        )),
        "19:26 guard on unknown state field `bookd`"
    );
}

#[test]
fn a_fact_dependency_has_no_aggregate_keys_and_an_aggregate_one_no_tags() {
    let errors = errors(&clinic_with(
        17,
        "            fact: DoctorsDay\n            id: doctor_id\n            emits: [Booked]",
    ));
    let found: Vec<String> = errors.iter().map(at).collect();
    assert_eq!(
        found,
        [
            "18:17 `id` is for an aggregate the command reads; `doctors_day` reads a fact",
            "19:20 `emits` is for an aggregate the command reads; `doctors_day` reads a fact",
        ]
    );
}

#[test]
fn a_facts_state_feeds_guards_but_no_event() {
    let d = only(&clinic_with(
        20,
        "        emits: [Booked]\n        values: { day: doctors_day.booked }",
    ));
    assert_eq!(
        at(&d),
        "21:24 `doctors_day` is a fact: its state decides guards but feeds no event"
    );
}
