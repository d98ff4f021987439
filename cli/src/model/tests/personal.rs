//! Personal fields: about the event's own aggregate or another's (by a field that always holds
//! its id), each optional, never a tag or in a state-stored aggregate's state.

use super::*;

/// A member whose name is personal, and a loan whose note is about the member.
const MEMBERS: &str = "\
version: 1
service: club
aggregates:
  Member:
    id: member_id
    id_type: string
    state:
      name: optional<string>
    commands:
      Join:
        creates: true
        fields:
          name: string
          email: optional<string>
        emits: [Joined]
    events:
      Joined:
        fields:
          name: optional<string>
          email: optional<string>
        personal: { fields: [name, email] }
        apply:
          set: { name: name }
  Loan:
    id: loan_id
    state:
      open: bool
    commands:
      Open:
        creates: true
        fields:
          member_id: string
          note: optional<string>
        emits: [Opened]
    events:
      Opened:
        fields:
          member_id: string
          note: optional<string>
        personal: { fields: [note], about: Member, id: member_id }
        apply:
          set_const: { open: true }
";

fn members_with(from: &str, to: &str) -> String {
    assert!(MEMBERS.contains(from), "{from}");
    MEMBERS.replacen(from, to, 1)
}

#[test]
fn personal_fields_are_read_with_their_subject() {
    let model = model(MEMBERS);
    let joined = &model.aggregates[0].events[0];
    assert_eq!(
        joined.personal,
        Some(ir::Personal {
            fields: vec!["name".into(), "email".into()],
            about: "Member".into(),
            id: None,
        })
    );
    let opened = &model.aggregates[1].events[0];
    assert_eq!(
        opened.personal,
        Some(ir::Personal {
            fields: vec!["note".into()],
            about: "Member".into(),
            id: Some("member_id".into()),
        })
    );
    let clinic = example("clinic.yaml");
    assert!(
        clinic
            .aggregates
            .iter()
            .any(|a| a.events.iter().any(|e| e.personal.is_some()))
    );
}

#[test]
fn a_personal_field_that_could_not_be_erased_is_pointed_at() {
    // The command's field differs from the event's too: that is reported beside it.
    let said: Vec<String> = errors(&members_with(
        "email: optional<string>\n        personal",
        "email: string\n        personal",
    ))
    .iter()
    .map(at)
    .collect();
    assert!(
        said.contains(&"21:36 personal field `email` of `Joined` is not optional".to_owned()),
        "{said:#?}"
    );
    assert_eq!(
        error(&members_with(
            "        personal: { fields: [note]",
            "        tags: [note]\n        personal: { fields: [note]"
        )),
        "41:19 `note` tags `Opened` and is personal"
    );
    assert_eq!(
        error(&members_with("[name, email]", "[name, mail]")),
        "21:36 event `Joined` has no field `mail`"
    );
    assert_eq!(
        error(&members_with("about: Member, id", "about: Members, id")),
        "40:44 `Members` is not an aggregate"
    );
    assert_eq!(
        error(&members_with(", id: member_id }", " }")),
        "40:44 event `Opened` is about a `Member` but does not say which"
    );
    assert_eq!(
        error(&members_with("id: member_id }", "id: note }")),
        "40:56 `note` cannot hold a subject's id: it is `optional<string>`"
    );
    assert_eq!(
        error(&members_with(
            "    state:\n      name: optional<string>\n",
            "    persistence: state_stored\n    state:\n      name: optional<string>\n"
        )),
        "22:30 `Member` keeps its state in a row (`persistence: state_stored`), which would hold \
         `name` in clear once its subject is forgotten"
    );
}

#[test]
fn personal_data_kept_in_clear_elsewhere_is_refused() {
    let unique = members_with(
        "    commands:\n      Join:",
        "    unique:\n      name: {}\n    commands:\n      Join:",
    );
    assert_eq!(
        error(&unique),
        "10:7 `name` is unique, and `Joined` sets it from its personal field `name`"
    );
    let process = format!(
        "{MEMBERS}workflows:\n  Welcome:\n    state:\n      name: optional<string>\n    on:\n      \
         Joined:\n        starts: true\n        apply:\n          set: {{ name: name }}\n"
    );
    assert_eq!(
        error(&process),
        "51:24 workflow `Welcome` keeps `name`, a personal field of `Joined`, in its state"
    );
}

/// `Member` also records `Greeted` from its state, and `Loan` records `Lent` from the member's
/// state: each event's `greeting`/`borrower` field is personal as `personal` says.
fn carrying(personal_greeted: &str, personal_lent: &str) -> String {
    let greet = format!(
        "      Greet:
        fields: {{}}
        values: {{ greeting: state.name }}
        emits: [Greeted]
    events:
      Greeted:
        fields:
          greeting: optional<string>{personal_greeted}
        apply: {{}}
"
    );
    let lend = format!(
        "      Lend:
        fields:
          member_id: string
        depends_on:
          member: {{ aggregate: Member, id: member_id }}
        values: {{ borrower: member.name }}
        emits: [Lent]
    events:
      Lent:
        fields:
          borrower: optional<string>{personal_lent}
        apply: {{}}
"
    );
    members_with(
        "        emits: [Joined]\n    events:\n",
        &format!("        emits: [Joined]\n{greet}"),
    )
    .replacen(
        "        emits: [Opened]\n    events:\n",
        &format!("        emits: [Opened]\n{lend}"),
        1,
    )
}

#[test]
fn personal_data_read_from_a_state_is_recorded_sealed_or_refused() {
    let sealed = carrying(
        "\n        personal: { fields: [greeting] }",
        "\n        personal: { fields: [borrower], about: Member, id: member_id }",
    );
    // `Lent` needs the member's id among its fields to name the subject.
    let sealed = sealed.replace(
        "          borrower: optional<string>\n        personal",
        "          member_id: string\n          borrower: optional<string>\n        personal",
    );
    model(&sealed);
    let errors: Vec<String> = errors(&carrying("", "")).iter().map(at).collect();
    assert_eq!(
        errors,
        [
            "18:29 `state.name`, personal data about a `Member`, goes into `greeting` of \
             `Greeted`, which is not personal about a `Member`: it would be stored in clear \
             and outlive forgetting them",
            "48:29 `member.name`, personal data about a `Member`, goes into `borrower` of `Lent`, \
             which is not personal about a `Member`: it would be stored in clear and outlive \
             forgetting them",
        ]
    );
}

/// A workflow that gives a member's personal `name` to a command recording it in `Reminded`.
fn reminding(personal: &str) -> String {
    let remind = format!(
        "      Remind:
        fields:
          text: optional<string>
        emits: [Reminded]
    events:
      Reminded:
        fields:
          text: optional<string>{personal}
        apply: {{}}
"
    );
    let workflow = "workflows:
  Welcome:
    on:
      Joined:
        send:
          - { command: Remind, to: id, fields: { text: name } }
";
    members_with(
        "        emits: [Joined]\n    events:\n",
        &format!("        emits: [Joined]\n{remind}"),
    ) + workflow
}

#[test]
fn a_workflow_carries_personal_data_only_into_sealed_fields() {
    model(&reminding("\n        personal: { fields: [text] }"));
    assert_eq!(
        error(&reminding("")),
        "56:56 `name` of `Joined`, sent as `Remind.text`, personal data about a `Member`, goes \
         into `text` of `Reminded`, which is not personal about a `Member`: it would be stored \
         in clear and outlive forgetting them"
    );
}

#[test]
fn a_subjects_id_has_its_aggregates_id_type() {
    let source = members_with("    id_type: string\n", "    id_type: uuid\n");
    assert_eq!(
        error(&source),
        "40:56 `member_id` is `string`, but a `Member` is known by a `uuid` id"
    );
}
