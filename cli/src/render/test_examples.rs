//! Example values for generated tests, as Rust: commands and events built from the example of
//! each field, with uuids named once as constants.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::examples::{example, rust_of};
use super::layout;
use super::names::{shouty, snake};
use super::reachable::dependency_before;
use super::rust::{moved_now, some_if};
use super::scenario::{id_number, state_before};
use crate::model::ir::{
    Aggregate, Command, Condition, Emit, Field, Guard, ServedValue, Source, Type,
};

/// A function returning an example value: `fn place_order() -> PlaceOrder { ... }`.
pub(super) struct ExampleFn {
    pub(super) name: String,
    pub(super) ty: String,
    /// The body expression, laid out at an indent of 4.
    pub(super) body: String,
}

/// A generated given/when/then test: its name and its laid-out statements.
pub(super) struct TestCase {
    pub(super) name: String,
    pub(super) statements: Vec<String>,
}

/// Example values as Rust, with uuids named once as constants.
pub(super) struct Examples<'m> {
    /// Every aggregate of the model: an event may hold what another's state holds.
    all: &'m [Aggregate],
    pub(super) consts: BTreeMap<String, String>,
    /// Whether an example holds a value the server made, so the tests need `now()`.
    pub(super) reads_clock: bool,
}

impl<'m> Examples<'m> {
    pub(super) fn new(all: &'m [Aggregate]) -> Self {
        Self {
            all,
            consts: BTreeMap::new(),
            reads_clock: false,
        }
    }

    /// `field`'s example laid out for a line starting at `indent`, after `prefix` columns.
    fn value(
        &mut self,
        name: &str,
        ty: &Type,
        field: &Field,
        indent: usize,
        prefix: usize,
    ) -> String {
        match ty {
            Type::Uuid => {
                let constant = shouty(name);
                let value = example(&Field {
                    ty: Type::Uuid,
                    ..field.clone()
                })
                .rust;
                self.consts.insert(
                    constant.clone(),
                    format!("const {constant}: Uuid = {value};"),
                );
                constant
            }
            Type::Value(def) => {
                let fields: Vec<(String, String)> = def
                    .fields
                    .iter()
                    .map(|inner| {
                        (
                            inner.name.clone(),
                            self.value(
                                &inner.name,
                                &inner.ty,
                                inner,
                                indent + 4,
                                inner.name.len() + 2,
                            ),
                        )
                    })
                    .collect();
                layout::struct_literal(&def.name, &fields, indent, prefix)
            }
            Type::List(inner) => {
                let count = field.rules.min_length.unwrap_or(1).max(1) as usize;
                let element = self.value(name, inner, field, indent + 4, 0);
                layout::array("vec![", &vec![element; count], indent, prefix)
            }
            Type::Optional(inner) => format!(
                "Some({})",
                self.value(name, inner, field, indent, prefix + 5)
            ),
            _ => {
                example(&Field {
                    ty: ty.clone(),
                    ..field.clone()
                })
                .rust
            }
        }
    }

    /// What the served value `name` is in a test: the frozen `now()` moved by its offset, or
    /// the test clock's `n`th new id (a `ManualClock` numbers them from 1, in the order the
    /// handler makes them).
    fn served(&mut self, served: &[ServedValue], name: &str) -> String {
        self.reads_clock = true;
        let Some(value) = served.iter().find(|value| value.name == name) else {
            return "now()".to_owned();
        };
        match (&value.source, &value.ty) {
            (Source::Now(offset), ty) => moved_now("now()", "now().date_naive()", offset, ty),
            (_, ty) => {
                let id = format!("uuid::Uuid::from_u128({})", id_number(served, name));
                if *ty == Type::String {
                    format!("{id}.to_string()")
                } else {
                    id
                }
            }
        }
    }

    pub(super) fn command(&mut self, aggregate: &Aggregate, command: &Command) -> ExampleFn {
        let mut fields = vec![(
            aggregate.id.name.clone(),
            self.value(&aggregate.id.name, &aggregate.id.ty, &aggregate.id, 8, 0),
        )];
        for field in &command.fields {
            let value = self.value(&field.name, &field.ty, field, 8, field.name.len() + 2);
            fields.push((field.name.clone(), value));
        }
        ExampleFn {
            name: snake(&command.name),
            ty: command.name.clone(),
            body: layout::struct_literal(&command.name, &fields, 4, 0),
        }
    }

    /// An event `emit` records, as the aggregate's event enum, from this file's command example.
    pub(super) fn event(
        &mut self,
        aggregate: &Aggregate,
        command: &Command,
        emit: &Emit,
        fn_name: String,
    ) -> ExampleFn {
        let event_enum = format!("{}Event", aggregate.name);
        self.event_in(aggregate, Some(command), emit, fn_name, "", &event_enum)
    }

    /// [`event`](Self::event) for an event of the aggregate in `module` (`"member::"`, or
    /// `""` for this file's own), whose event enum is `event_enum`; the command recording it
    /// is addressed to `aggregate`: `recorder`, when it is a command of the model (whose
    /// served values and state the event may hold).
    pub(super) fn event_in(
        &mut self,
        aggregate: &Aggregate,
        recorder: Option<&Command>,
        emit: &Emit,
        fn_name: String,
        module: &str,
        event_enum: &str,
    ) -> ExampleFn {
        // The state the recorder decides on, searched for once, when a field reads it.
        let reads_state = emit
            .fields
            .iter()
            .any(|fed| matches!(fed.source, Source::State(_)));
        let before = recorder
            .filter(|_| reads_state)
            .and_then(|recorder| state_before(aggregate, recorder))
            .unwrap_or_default();
        // And the state of each other aggregate it reads a field of, as its tests give it.
        let consulted: BTreeMap<&str, Map<String, Value>> = recorder
            .into_iter()
            .flat_map(|recorder| {
                recorder
                    .depends_on
                    .iter()
                    .filter(|read| recorder.consults(&read.name))
                    .filter_map(|read| {
                        let state = dependency_before(self.all, recorder, read)?;
                        Some((read.name.as_str(), state))
                    })
            })
            .collect();
        let fields: Vec<(String, String)> = emit
            .fields
            .iter()
            .map(|fed| {
                let name = &fed.field.name;
                let value = match (fed.read_from(&aggregate.id), &fed.source, recorder) {
                    (Some(source), _, _) => {
                        self.value(&source.name, &source.ty, source, 8, name.len() + 2)
                    }
                    (None, Source::State(field), Some(_)) => {
                        rust_of(before.get(&field.name).unwrap_or(&Value::Null), &field.ty)
                    }
                    (None, Source::Consulted { from, field }, Some(_)) => {
                        let state = consulted.get(from.as_str());
                        let value = state.and_then(|state| state.get(&field.name));
                        rust_of(value.unwrap_or(&Value::Null), &field.ty)
                    }
                    (None, _, recorder) => {
                        self.served(recorder.map_or(&[][..], |c| &c.served[..]), name)
                    }
                };
                (name.clone(), some_if(fed.wrap_some, value))
            })
            .collect();
        let path = format!("{module}{}", emit.event.name);
        let literal = layout::struct_literal(&path, &fields, 4, 0);
        let body = if literal.contains('\n') {
            format!("{literal}\n    .into()")
        } else {
            format!("{literal}.into()")
        };
        ExampleFn {
            name: fn_name,
            ty: event_enum.to_owned(),
            body,
        }
    }
}

/// How a refusal test names the condition that refused.
pub(super) fn condition_slug(condition: &Condition) -> &'static str {
    match condition {
        Condition::Equals(_) => "matches",
        Condition::NotEquals(_) => "differs",
        Condition::OneOf(_) => "is_allowed",
        Condition::NotEmpty => "is_not_empty",
        Condition::AtLeast(_) => "is_enough",
        Condition::AtMost(_) => "is_within_limit",
    }
}

/// `.then_expect_rejection_code("code")` for a guard that names its code, else
/// `.then_expect_refusal("message")`.
pub(super) fn expect_refusal(guard: &Guard) -> String {
    match &guard.code {
        Some(code) => layout::call(".then_expect_rejection_code", &[format!("{code:?}")], 8, ""),
        None => layout::call(
            ".then_expect_refusal",
            &[format!("{:?}", guard.message)],
            8,
            "",
        ),
    }
}
