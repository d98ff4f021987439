//! `workflows:`: policies and process managers, each reaction checked against the events,
//! commands, values and timers it names.

use super::*;

/// A clinic: appointments are booked for a slot, attended or missed; a patient missing three
/// is flagged. `workflows` is appended as the model's `workflows:` section.
fn clinic(workflows: &str) -> String {
    format!(
        "\
version: 1
service: clinic
aggregates:
  Appointment:
    id: appointment_id
    state: {{ patient_id: string, attended: bool }}
    commands:
      Book: {{ creates: true, fields: {{ patient_id: string, slot: timestamp, day: date }}, emits: [Booked] }}
      Attend: {{ emits: [Attended] }}
      MarkMissed: {{ fields: {{ note: string? }}, emits: [Missed] }}
    events:
      Booked: {{ fields: {{ patient_id: string, slot: timestamp, day: date }}, apply: {{ set: {{ patient_id: patient_id }} }} }}
      Attended: {{ apply: {{ set_const: {{ attended: true }} }} }}
      Missed: {{ fields: {{ note: string? }} }}
  Patient:
    id: patient_id
    id_type: string
    state: {{ missed: int }}
    commands:
      Register: {{ creates: true, fields: {{ name: string }}, emits: [Registered] }}
      Flag: {{ fields: {{ appointment: uuid?, reason: string }}, emits: [Flagged] }}
    events:
      Registered: {{ fields: {{ name: string }} }}
      Flagged: {{ fields: {{ appointment: uuid?, reason: string }}, apply: {{ increment: {{ missed: 1 }} }} }}
workflows:
{workflows}"
    )
}

const NO_SHOWS: &str = "  NoShows:
    description: Marks a booked appointment missed an hour after its slot, unless attended.
    state: { patient_id: string }
    on:
      Booked:
        starts: true
        apply: { set: { patient_id: patient_id } }
        schedule: { missed: slot, reminder: 1h }
      Attended:
        cancel: [missed, reminder]
        finish: true
      Missed:
        send:
          - { command: Flag, to: state.patient_id, fields: { appointment: correlation }, fields_const: { reason: no_show } }
        finish: true
    timers:
      missed:
        send: [{ command: MarkMissed, to: correlation }]
      reminder: {}
    refused:
      MarkMissed:
        finish: true
  WelcomeFlag:
    on:
      Registered:
        send: [{ command: Flag, to: id, fields: { reason: name } }]
";

#[test]
fn a_process_and_a_policy_resolve_every_name() {
    let model = model(&clinic(NO_SHOWS));
    let [process, policy] = model.workflows.as_slice() else {
        panic!("two workflows");
    };
    let state = process.process.as_ref().expect("a process manager");
    assert_eq!(state.correlation, Type::Uuid, "by the appointment's id");
    assert_eq!(state.state[0].name, "patient_id");
    let booked = &process.on[0];
    assert!(booked.starts);
    assert_eq!(booked.aggregate, "Appointment");
    assert_eq!(booked.reaction.schedule.len(), 2);
    assert!(matches!(
        booked.reaction.schedule[0].when,
        ir::When::At(ir::Value::Event(_), Type::Timestamp)
    ));
    assert_eq!(booked.reaction.schedule[1].when, ir::When::After(3600));
    let flag = &process.on[2].reaction.send[0];
    assert_eq!(flag.command, "Flag");
    assert!(matches!(&flag.to.value, ir::Value::State(field) if field.name == "patient_id"));
    assert_eq!(flag.fields[0].value, ir::Value::Correlation);
    assert!(matches!(
        flag.fields[1].value,
        ir::Value::Const(Literal::String(_))
    ));
    let missed = &process.timers[0].reaction.send[0];
    assert_eq!(
        missed.fields[0].value,
        ir::Value::Nothing,
        "an optional field left out"
    );
    assert!(process.sends("MarkMissed") && process.sends("Flag"));
    assert_eq!(process.refused[0].command, "MarkMissed");
    assert!(policy.process.is_none());
    assert!(matches!(
        policy.on[0].reaction.send[0].to.value,
        ir::Value::AggregateId(Type::String)
    ));
}

#[test]
fn unknown_events_commands_and_values_are_named_where_written() {
    let broken = NO_SHOWS
        .replace("      Attended:\n", "      Atended:\n")
        .replace(
            "{ command: MarkMissed, to: correlation }",
            "{ command: MarkMised, to: correlation }",
        )
        .replace("to: state.patient_id", "to: state.patient");
    let found: Vec<String> = errors(&clinic(&broken)).iter().map(at).collect();
    assert_eq!(
        found,
        [
            "34:7 workflow `NoShows` reacts to `Atended`, which no aggregate declares",
            "39:34 `state.patient` is nothing this reaction can read",
            "43:27 no aggregate takes a command `MarkMised`",
        ]
    );
    let hints: Vec<Option<String>> = errors(&clinic(&broken))
        .into_iter()
        .map(|d| d.hint)
        .collect();
    assert_eq!(hints[0].as_deref(), Some("did you mean `Attended`?"));
    assert!(
        hints[1].as_deref().unwrap().contains("state.patient_id"),
        "{hints:?}"
    );
}

#[test]
fn a_value_of_another_type_and_a_missing_field_are_refused() {
    let broken = NO_SHOWS.replace("fields: { reason: name }", "fields: { appointment: name }");
    let found: Vec<String> = errors(&clinic(&broken)).iter().map(at).collect();
    assert_eq!(
        found,
        [
            "51:27 the send of `Flag` gives no `reason`",
            "51:64 `name` is a string, but `appointment` takes an optional<uuid>",
        ]
    );
}

#[test]
fn a_policy_cannot_keep_state_or_set_timers() {
    let policy = "  Greeter:
    on:
      Registered:
        schedule: { later: 1d }
        finish: true
    timers:
      later: {}
";
    let found: Vec<String> = errors(&clinic(policy)).iter().map(at).collect();
    assert_eq!(
        found,
        [
            "29:21 workflow `Greeter` has no `state:`, so it cannot set a timer",
            "30:17 workflow `Greeter` has no `state:`, so it cannot finish",
            "32:7 workflow `Greeter` has no `state:`, so it cannot have timers",
        ]
    );
}

#[test]
fn timers_are_declared_and_set_after_a_duration_or_at_a_time() {
    let broken = NO_SHOWS
        .replace("cancel: [missed, reminder]", "cancel: [mised]")
        .replace(
            "schedule: { missed: slot, reminder: 1h }",
            "schedule: { missed: patient_id, reminder: soon }",
        );
    let found: Vec<String> = errors(&clinic(&broken)).iter().map(at).collect();
    assert_eq!(
        found,
        [
            "33:29 `patient_id` is a string, not a time",
            "33:51 `soon` is nothing this reaction can read",
            "35:18 workflow `NoShows` has no timer `mised`",
        ]
    );
}

#[test]
fn a_process_needs_a_start_and_one_type_of_correlation() {
    let broken = NO_SHOWS.replace("        starts: true\n", "").replace(
        "      Missed:\n",
        "      Missed:\n        correlate: note\n",
    );
    let found: Vec<String> = errors(&clinic(&broken)).iter().map(at).collect();
    assert_eq!(
        found,
        [
            "26:3 no event starts a process of workflow `NoShows`",
            "37:20 `note` is an optional<string>: it cannot name one process",
        ]
    );
}

#[test]
fn what_a_workflow_cannot_say_is_refused_where_written() {
    let broken = NO_SHOWS
        .replace(
            "state: { patient_id: string }",
            "state: { patient_id: string, correlation: string }",
        )
        .replace(
            "        starts: true\n",
            "        starts: true\n        finish: true\n",
        )
        .replace(
            "      reminder: {}\n",
            "      reminder: { apply: { set_const: { patient_id: x } } }\n",
        )
        .replace(
            "      MarkMissed:\n        finish: true\n",
            "      MarkMissed:\n        finish: true\n      Register: {}\n",
        );
    let found: Vec<String> = errors(&clinic(&broken)).iter().map(at).collect();
    assert_eq!(
        found,
        [
            "28:34 a process's state cannot have a field `correlation`",
            "32:17 `Booked` starts a process of workflow `NoShows` and finishes it at once",
            "45:41 workflow `NoShows` changes no state when a timer fires",
        ]
    );
    let never_sent = NO_SHOWS.replace(
        "      MarkMissed:\n        finish: true\n",
        "      MarkMissed:\n        finish: true\n      Register: {}\n",
    );
    assert_eq!(
        error(&clinic(&never_sent)),
        "48:7 workflow `NoShows` never sends `Register`, so it is never refused"
    );
}
#[test]
fn two_timers_named_alike_in_the_code_are_refused() {
    let broken = NO_SHOWS.replace(
        "      reminder: {}\n",
        "      reminder: {}\n      reminder_: {}\n",
    );
    let found: Vec<String> = errors(&clinic(&broken)).iter().map(at).collect();
    assert_eq!(
        found,
        [
            "45:7 timers `reminder` and `reminder_` are both `Reminder` in the generated code",
            "45:7 `reminder_` is not a valid timer name",
        ]
    );
}
