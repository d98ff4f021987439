//! Finds, for each command, a history of earlier commands after which it succeeds (or after which
//! one of its guards refuses it), by running the model's own rules on example values. Generated
//! given/when/then tests and the README's curl walkthrough are built from these histories.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::examples::example;
use crate::model::ir::{
    Aggregate, ChangeOp, Command, Condition, Guard, Literal, Offset, Operand, ServedValue, Source,
    TimeUnit, Type,
};

/// How deep the search goes; lifecycles in practice need two or three steps.
const MAX_HISTORY: usize = 5;

/// Where the generated tests freeze their clock (`fn now()`), so the search knows what `now`
/// and `now + 21d` are when guards compare times.
pub const TEST_NOW: &str = "2026-03-02T09:00:00Z";

/// How much later than [`TEST_NOW`] a refusal may wait for a time guard to refuse: the loan
/// due in 21 days is overdue after 32. Powers of two, so a few steps reach years.
const LATER_DAYS: [i64; 13] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

/// A command preceded by the commands that bring its aggregate into the wanted state.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario<'m> {
    pub history: Vec<&'m Command>,
    pub command: &'m Command,
    /// `None` when the command succeeds; else the guard that refuses it.
    pub refused_by: Option<&'m Guard>,
    /// How long after [`TEST_NOW`], when the history was recorded, the command is decided:
    /// none, unless a time guard refuses only once time has passed.
    pub later: Offset,
}

/// The shortest history after which `command` succeeds, if one exists within reach.
pub fn succeeding<'m>(aggregate: &'m Aggregate, command: &'m Command) -> Option<Scenario<'m>> {
    search(aggregate, command, |sim, state| {
        sim.first_violated(command, state, Offset::NONE).is_none()
    })
    .map(|history| Scenario {
        history,
        command,
        refused_by: None,
        later: Offset::NONE,
    })
}

/// For each guard, the shortest history after which that guard is the one refusing `command`:
/// decided at [`TEST_NOW`], or, for a guard comparing a time with now that no history makes
/// refuse then, the soonest day after it that one does.
pub fn refusals<'m>(aggregate: &'m Aggregate, command: &'m Command) -> Vec<Scenario<'m>> {
    command
        .guards
        .iter()
        .enumerate()
        .filter_map(|(index, guard)| {
            let waits = LATER_DAYS.iter().map(|&amount| Offset {
                amount,
                unit: TimeUnit::Days,
            });
            let waits = waits.filter(|_| compares_with_now(guard));
            std::iter::once(Offset::NONE)
                .chain(waits)
                .find_map(|later| {
                    search(aggregate, command, |sim, state| {
                        sim.first_violated(command, state, later) == Some(index)
                    })
                    .map(|history| Scenario {
                        history,
                        command,
                        refused_by: Some(guard),
                        later,
                    })
                })
        })
        .collect()
}

/// Whether `guard` may refuse later what it allows now: a time that must be at least now (an
/// upper bound on now only loosens as time passes).
fn compares_with_now(guard: &Guard) -> bool {
    matches!(guard.condition, Condition::AtLeast(Operand::Now(_)))
}

fn search<'m>(
    aggregate: &'m Aggregate,
    target: &Command,
    accept: impl Fn(&Sim<'m>, &Map<String, Value>) -> bool,
) -> Option<Vec<&'m Command>> {
    let sim = Sim { aggregate };
    let initial = sim.initial_state();
    if target.creates {
        return accept(&sim, &initial).then(Vec::new);
    }
    let mut seen = HashSet::new();
    let mut queue: VecDeque<(Vec<&'m Command>, Map<String, Value>)> = VecDeque::new();
    for creator in aggregate.commands.iter().filter(|c| c.creates) {
        if sim
            .first_violated(creator, &initial, Offset::NONE)
            .is_none()
        {
            queue.push_back((vec![creator], sim.run(creator, initial.clone())));
        }
    }
    while let Some((history, state)) = queue.pop_front() {
        if accept(&sim, &state) {
            return Some(history);
        }
        if history.len() >= MAX_HISTORY || !seen.insert(Value::Object(state.clone()).to_string()) {
            continue;
        }
        for next in aggregate.commands.iter().filter(|c| !c.creates) {
            if sim.first_violated(next, &state, Offset::NONE).is_none() {
                let mut longer = history.clone();
                longer.push(next);
                queue.push_back((longer, sim.run(next, state.clone())));
            }
        }
    }
    None
}

/// The model's rules run on JSON values.
struct Sim<'m> {
    aggregate: &'m Aggregate,
}

impl<'m> Sim<'m> {
    fn initial_state(&self) -> Map<String, Value> {
        self.aggregate
            .state
            .iter()
            .map(|field| (field.name.clone(), self.default_of(&field.ty)))
            .collect()
    }

    fn default_of(&self, ty: &Type) -> Value {
        match ty {
            Type::String | Type::Uuid | Type::Timestamp | Type::Date => json!(""),
            Type::Bool => json!(false),
            Type::Int | Type::Float => json!(0),
            Type::Decimal => json!("0"),
            Type::Enum(def) => json!(def.variants.first()),
            Type::Value(_) => json!({}),
            Type::List(_) => json!([]),
            Type::Optional(_) => Value::Null,
        }
    }

    fn command_values(&self, command: &Command) -> Map<String, Value> {
        command
            .fields
            .iter()
            .map(|field| (field.name.clone(), example(field).json))
            .collect()
    }

    /// The index of the first guard that refuses `command` in `state`, decided `later` than
    /// [`TEST_NOW`].
    fn first_violated(
        &self,
        command: &Command,
        state: &Map<String, Value>,
        later: Offset,
    ) -> Option<usize> {
        let values = self.command_values(command);
        command.guards.iter().position(|guard| {
            let current = get(state, &guard.field.name);
            let holds = match &guard.condition {
                Condition::Equals(value) => same(current, value),
                Condition::NotEquals(value) => !same(current, value),
                Condition::OneOf(values) => values.iter().any(|value| same(current, value)),
                Condition::NotEmpty => match current {
                    Value::Array(items) => !items.is_empty(),
                    Value::String(text) => !text.is_empty(),
                    _ => false,
                },
                Condition::AtLeast(by) if guard.field.ty.is_time() => {
                    let bound = time_operand(by, &guard.field.ty, &values, later);
                    instant(current) >= instant(&bound)
                }
                Condition::AtMost(by) if guard.field.ty.is_time() => {
                    let bound = time_operand(by, &guard.field.ty, &values, later);
                    instant(current) <= instant(&bound)
                }
                Condition::AtLeast(by) => number(current) >= operand(by, &values),
                Condition::AtMost(by) => number(current) <= operand(by, &values),
            };
            !holds
        })
    }

    /// The state after `command`'s events. Values the aggregate id or another aggregate's state
    /// feed are left null: no guard reads them. Values the server makes are what the generated tests
    /// expect: times from [`TEST_NOW`], ids numbered from 1 in the order the command makes them.
    fn run(&self, command: &Command, mut state: Map<String, Value>) -> Map<String, Value> {
        let before = state.clone();
        for emit in &command.emits {
            let fields: Map<String, Value> = emit
                .fields
                .iter()
                .map(|fed| {
                    let value = match &fed.source {
                        Source::CommandField(field) => example(field).json,
                        Source::Now(offset) => now_plus(offset, &fed.field.ty),
                        Source::NewId => json!(served_id(command, &fed.field.name)),
                        Source::State(field) => get(&before, &field.name).clone(),
                        // What another aggregate holds is not simulated here; the
                        // decision's own tests give that aggregate a history.
                        Source::AggregateId | Source::Consulted { .. } => Value::Null,
                    };
                    (fed.field.name.clone(), value)
                })
                .collect();
            apply(&emit.event.apply, &mut state, &fields);
        }
        state
    }
}

/// The state `command` succeeds on, after the shortest history that leads there.
pub fn state_before(aggregate: &Aggregate, command: &Command) -> Option<Map<String, Value>> {
    let scenario = succeeding(aggregate, command)?;
    let sim = Sim { aggregate };
    Some(
        scenario
            .history
            .iter()
            .fold(sim.initial_state(), |state, earlier| {
                sim.run(earlier, state)
            }),
    )
}

/// The text of the id `command` makes for its served value `name`.
fn served_id(command: &Command, name: &str) -> String {
    format!(
        "00000000-0000-0000-0000-{:012x}",
        id_number(&command.served, name)
    )
}

/// Which of a command's new ids the served value `name` is: the tests' `ManualClock` numbers
/// them from 1 (`Uuid::from_u128(n)`), in the order the handler makes `served`.
pub fn id_number(served: &[ServedValue], name: &str) -> usize {
    served
        .iter()
        .take_while(|value| value.name != name)
        .filter(|value| value.source == Source::NewId)
        .count()
        + 1
}

fn apply(changes: &[ChangeOp], state: &mut Map<String, Value>, event: &Map<String, Value>) {
    for change in changes {
        match change {
            ChangeOp::Set { target, source, .. } => {
                state.insert(target.name.clone(), get(event, &source.name).clone());
            }
            ChangeOp::SetConst { target, value } => {
                state.insert(target.name.clone(), literal(value));
            }
            ChangeOp::Clear { target } => {
                state.insert(target.name.clone(), Value::Null);
            }
            ChangeOp::Increment { target, by } | ChangeOp::Decrement { target, by } => {
                let delta = operand(by, event);
                let sign = if matches!(change, ChangeOp::Increment { .. }) {
                    1.0
                } else {
                    -1.0
                };
                let next = number(get(state, &target.name)) + sign * delta;
                state.insert(target.name.clone(), json!(next));
            }
            ChangeOp::Append { target, source } => {
                if let Some(Value::Array(items)) = state.get_mut(&target.name) {
                    items.push(get(event, &source.name).clone());
                }
            }
            ChangeOp::Remove {
                target,
                source,
                by_field,
            } => {
                if let Some(Value::Array(items)) = state.get_mut(&target.name) {
                    let gone = get(event, &source.name);
                    items.retain(|item| match by_field {
                        Some(field) => item.get(&field.name) != Some(gone),
                        None => item != gone,
                    });
                }
            }
            ChangeOp::Delete => {}
        }
    }
}

fn literal(value: &Literal) -> Value {
    match value {
        Literal::Bool(flag) => json!(flag),
        Literal::Int(number) => json!(number),
        Literal::Float(number) => json!(number),
        Literal::Decimal(text) | Literal::String(text) => json!(text),
        Literal::Variant { variant, .. } => json!(variant),
    }
}

fn same(current: &Value, value: &Literal) -> bool {
    match value {
        Literal::Int(_) | Literal::Float(_) | Literal::Decimal(_) => {
            number(current) == number(&literal(value))
        }
        _ => *current == literal(value),
    }
}

fn operand(by: &Operand, values: &Map<String, Value>) -> f64 {
    match by {
        Operand::Literal(value) => number(&literal(value)),
        Operand::Field(field) => values.get(&field.name).map_or(0.0, number),
        Operand::Now(_) => 0.0,
    }
}

/// A guard's time bound: `now` (`later` than [`TEST_NOW`]) moved, as a value of the field's
/// type, or the command's field.
fn time_operand(by: &Operand, ty: &Type, values: &Map<String, Value>, later: Offset) -> Value {
    match by {
        Operand::Now(offset) => {
            let moved = Offset {
                amount: seconds(offset) + seconds(&later),
                unit: TimeUnit::Seconds,
            };
            now_plus(&moved, ty)
        }
        Operand::Field(field) => get(values, &field.name).clone(),
        Operand::Literal(_) => Value::Null,
    }
}

/// [`TEST_NOW`] moved by `offset`, as JSON of `ty`: a date for a date field, else a time.
fn now_plus(offset: &Offset, ty: &Type) -> Value {
    let now: DateTime<Utc> = TEST_NOW.parse().expect("a valid time");
    let moved = now + TimeDelta::seconds(seconds(offset));
    if *ty.required() == Type::Date {
        json!(moved.date_naive().to_string())
    } else {
        json!(moved.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

fn seconds(offset: &Offset) -> i64 {
    offset.amount
        * match offset.unit {
            TimeUnit::Days => 86_400,
            TimeUnit::Hours => 3_600,
            TimeUnit::Minutes => 60,
            TimeUnit::Seconds => 1,
        }
}

/// Seconds since 1970 of a time or date as JSON; nothing is earlier than any time, as an
/// `Option` compares, and a time never set is 1970, as its Rust default.
fn instant(value: &Value) -> f64 {
    let Value::String(text) = value else {
        return f64::NEG_INFINITY;
    };
    if let Ok(time) = text.parse::<DateTime<Utc>>() {
        return time.timestamp() as f64;
    }
    text.parse::<NaiveDate>().map_or(0.0, |date| {
        date.and_hms_opt(0, 0, 0)
            .map_or(0.0, |midnight| midnight.and_utc().timestamp() as f64)
    })
}

/// The value named `name`: every state field has one, and every event field a change reads.
fn get<'v>(values: &'v Map<String, Value>, name: &str) -> &'v Value {
    values.get(name).unwrap_or(&Value::Null)
}

fn number(value: &Value) -> f64 {
    match value {
        Value::Number(number) => number.as_f64().unwrap_or(0.0),
        Value::String(text) => text.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests;
