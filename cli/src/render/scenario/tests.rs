//! The search compares times with the tests' frozen `now`.

use super::{refusals, succeeding};
use crate::model::ir::{Aggregate, Command};

/// A permit valid until a date the applicant gives (the examples' 2026-01-01, before the
/// tests' now) or, renewed, until now + 30 days; `Use` needs it still valid, `Renew` needs it
/// expiring within a week.
const PERMITS: &str = "\
version: 1
service: permits
aggregates:
  Permit:
    id: permit_id
    state:
      valid_until: date?
    commands:
      Apply:
        creates: true
        fields:
          valid_until: date
        emits: [Granted]
      Renew:
        guards:
          - { field: valid_until, at_most: now + 7d, message: \"renewed in its last week\" }
        emits: [Renewed]
        values: { valid_until: now + 30d }
      Use:
        guards:
          - { field: valid_until, at_least: now, code: expired, message: \"the permit expired\" }
        emits: [Used]
    events:
      Granted:
        fields: { valid_until: date }
        apply: { set: { valid_until: valid_until } }
      Renewed:
        fields: { valid_until: date }
        apply: { set: { valid_until: valid_until } }
      Used: {}
";

fn permit() -> Aggregate {
    let model = crate::model::parse("permits.yaml", PERMITS).unwrap_or_else(|d| panic!("{d}"));
    model.aggregates.into_iter().next().expect("one aggregate")
}

fn command<'a>(aggregate: &'a Aggregate, name: &str) -> &'a Command {
    aggregate
        .commands
        .iter()
        .find(|c| c.name == name)
        .expect("declared")
}

fn history(names: &[&Command]) -> Vec<String> {
    names.iter().map(|c| c.name.clone()).collect()
}

#[test]
fn a_date_before_now_fails_at_least_now_and_a_renewal_moves_it_past_now() {
    let permit = permit();
    let used = command(&permit, "Use");
    let expired = refusals(&permit, used);
    assert_eq!(expired.len(), 1);
    assert_eq!(
        history(&expired[0].history),
        ["Apply"],
        "applied with a date in the past"
    );
    let valid = succeeding(&permit, used).expect("a renewal makes it valid");
    assert_eq!(history(&valid.history), ["Apply", "Renew"]);
}

#[test]
fn at_most_now_plus_a_week_holds_for_a_past_date_and_not_thirty_days_out() {
    let permit = permit();
    let renew = command(&permit, "Renew");
    let first = succeeding(&permit, renew).expect("an applied permit is renewed");
    assert_eq!(history(&first.history), ["Apply"]);
    let twice = refusals(&permit, renew);
    assert_eq!(history(&twice[0].history), ["Apply", "Renew"]);
}
