//! The commands a reaction sends, and where each value a workflow uses comes from.

use serde_saphyr::Spanned;

use super::super::ctx::Ctx;
use super::super::literals::literal;
use super::super::{names, personal};
use crate::model::ast::{self, Pos};
use crate::model::ir::{self, Type, Value};

/// What a reaction can read: the event's fields and its aggregate's id, the process's state
/// and correlation, the refused command's fields.
pub(super) struct Sources<'a> {
    event: Option<(&'a ir::Event, Type)>,
    state: &'a [ir::Field],
    correlation: Option<Type>,
    command: Option<(&'a ir::Aggregate, &'a ir::Command)>,
}

impl<'a> Sources<'a> {
    pub fn event(event: &'a ir::Event, aggregate: &str, aggregates: &[ir::Aggregate]) -> Self {
        let id = aggregates
            .iter()
            .find(|a| a.name == aggregate)
            .map_or(Type::String, |a| a.id.ty.clone());
        Self {
            event: Some((event, id)),
            state: &[],
            correlation: None,
            command: None,
        }
    }

    pub fn timer(process: Option<&'a ir::Process>, correlation: Option<Type>) -> Self {
        Self {
            event: None,
            state: process.map_or(&[], |p| &p.state),
            correlation,
            command: None,
        }
    }

    pub fn refused(
        process: Option<&'a ir::Process>,
        correlation: Option<Type>,
        aggregate: &'a ir::Aggregate,
        command: &'a ir::Command,
    ) -> Self {
        Self {
            command: Some((aggregate, command)),
            ..Self::timer(process, correlation)
        }
    }

    pub fn with_process(
        mut self,
        process: Option<&'a ir::Process>,
        correlation: Option<Type>,
    ) -> Self {
        self.state = process.map_or(&[], |p| &p.state);
        self.correlation = correlation;
        self
    }

    /// Refuses a personal field of the event given to a command field that the command records
    /// other than sealed with the same kind of subject's key.
    fn refuse_carried_in_clear(
        &self,
        ctx: &mut Ctx,
        written: &Spanned<String>,
        assigned: &ir::Assign,
        command: &ir::Command,
    ) {
        let (Some((event, _)), Value::Event(read)) = (&self.event, &assigned.value) else {
            return;
        };
        let Some(personal) = &event.personal else {
            return;
        };
        if !personal.fields.contains(&read.name) {
            return;
        }
        let on_others = command.depends_on.iter().flat_map(|read| &read.emits);
        for emit in command.emits.iter().chain(on_others) {
            for recorded in &emit.fields {
                if matches!(&recorded.source, ir::Source::CommandField(f) if f.name == assigned.field.name)
                {
                    let what = format!(
                        "`{}` of `{}`, sent as `{}.{}`",
                        read.name, event.name, command.name, assigned.field.name
                    );
                    personal::refuse_unsealed(
                        ctx,
                        Pos::of(written),
                        &what,
                        &personal.about,
                        &emit.event,
                        &recorded.field.name,
                    );
                }
            }
        }
    }

    /// What `written` names, and its type.
    pub fn resolve(&self, ctx: &mut Ctx, written: &Spanned<String>) -> Option<(Value, Type)> {
        let name = written.value.as_str();
        if let Some(field) = name.strip_prefix("state.") {
            if let Some(found) = self.state.iter().find(|f| f.name == field) {
                return Some((Value::State(found.clone()), found.ty.clone()));
            }
        } else if let Some(field) = name.strip_prefix("command.") {
            if let Some((aggregate, command)) = self.command {
                if aggregate.id.name == field {
                    return Some((
                        Value::Command(aggregate.id.clone()),
                        aggregate.id.ty.clone(),
                    ));
                }
                if let Some(found) = command.fields.iter().find(|f| f.name == field) {
                    return Some((Value::Command(found.clone()), found.ty.clone()));
                }
            }
        } else if name == "correlation" {
            if let Some(ty) = &self.correlation {
                return Some((Value::Correlation, ty.clone()));
            }
        } else if let Some((event, id)) = &self.event {
            if name == "id" {
                return Some((Value::AggregateId(id.clone()), id.clone()));
            }
            if let Some(found) = event.fields.iter().find(|f| f.name == name) {
                return Some((Value::Event(found.clone()), found.ty.clone()));
            }
        }
        let known = self.known();
        let hint = names::did_you_mean(name, known.iter().map(String::as_str)).or_else(|| {
            Some(if known.is_empty() {
                "nothing can be read here".to_owned()
            } else {
                format!("what can be read here: {}", known.join(", "))
            })
        });
        ctx.error(
            Pos::of(written),
            format!("`{name}` is nothing this reaction can read"),
            "unknown value",
            hint,
        );
        None
    }

    /// Every name `resolve` knows.
    fn known(&self) -> Vec<String> {
        let mut known = Vec::new();
        if let Some((event, _)) = &self.event {
            known.push("id".to_owned());
            known.extend(event.fields.iter().map(|f| f.name.clone()));
        }
        if self.correlation.is_some() {
            known.push("correlation".to_owned());
        }
        known.extend(self.state.iter().map(|f| format!("state.{}", f.name)));
        if let Some((aggregate, command)) = self.command {
            known.push(format!("command.{}", aggregate.id.name));
            known.extend(command.fields.iter().map(|f| format!("command.{}", f.name)));
        }
        known
    }
}

/// The command named `written`, and its aggregate.
pub(super) fn command<'a>(
    ctx: &mut Ctx,
    written: &Spanned<String>,
    aggregates: &'a [ir::Aggregate],
) -> Option<(&'a ir::Aggregate, &'a ir::Command)> {
    let found = aggregates.iter().find_map(|a| {
        a.commands
            .iter()
            .find(|c| c.name == written.value)
            .map(|c| (a, c))
    });
    let Some((aggregate, command)) = found else {
        let all = aggregates
            .iter()
            .flat_map(|a| a.commands.iter().map(|c| c.name.as_str()));
        let hint = names::did_you_mean(&written.value, all);
        ctx.error(
            Pos::of(written),
            format!("no aggregate takes a command `{}`", written.value),
            "unknown command",
            hint,
        );
        return None;
    };
    if command.is_decision() {
        ctx.error(
            Pos::of(written),
            format!(
                "`{}` reads other aggregates or facts: a workflow sends commands of one aggregate",
                command.name
            ),
            "a decision over several aggregates",
            Some("send a command of one aggregate, whose events the workflow can follow".into()),
        );
        return None;
    }
    Some((aggregate, command))
}

pub(super) fn sends(
    ctx: &mut Ctx,
    written: &[Spanned<ast::Send>],
    sources: &Sources,
    aggregates: &[ir::Aggregate],
) -> Vec<ir::Send> {
    written
        .iter()
        .filter_map(|send| one(ctx, send, sources, aggregates))
        .collect()
}

fn one(
    ctx: &mut Ctx,
    send: &Spanned<ast::Send>,
    sources: &Sources,
    aggregates: &[ir::Aggregate],
) -> Option<ir::Send> {
    let Some(name) = &send.value.command else {
        ctx.error(
            Pos::of(send),
            "a send names no `command`",
            "missing `command`",
            Some("e.g. `{ command: CancelOrder, to: correlation }`".into()),
        );
        return None;
    };
    let (aggregate, command) = command(ctx, name, aggregates)?;
    let Some(to) = &send.value.to else {
        ctx.error(
            Pos::of(send),
            format!("the send of `{}` has no `to`", command.name),
            "missing `to`",
            Some(format!(
                "`to:` names the value holding the `{}` of the {} it goes to",
                aggregate.id.name, aggregate.name
            )),
        );
        return None;
    };
    let to = assign(ctx, &aggregate.id, to, sources)?;
    let mut fields = Vec::new();
    for field in &command.fields {
        let given = send
            .value
            .fields
            .iter()
            .find(|(n, _)| n.value == field.name);
        let constant = send
            .value
            .fields_const
            .iter()
            .find(|(n, _)| n.value == field.name);
        match (given, constant) {
            (Some((_, value)), None) => {
                let assigned = assign(ctx, field, value, sources);
                if let Some(assigned) = &assigned {
                    sources.refuse_carried_in_clear(ctx, value, assigned, command);
                }
                fields.extend(assigned);
            }
            (None, Some((_, value))) => {
                if let Some(literal) = literal(ctx, value, &field.ty, &field.name) {
                    fields.push(ir::Assign {
                        field: field.clone(),
                        value: Value::Const(literal),
                        wrap_some: false,
                    });
                }
            }
            (Some((written, _)), Some(_)) => ctx.error(
                Pos::of(written),
                format!("`{}` is given twice", field.name),
                "in `fields` and `fields_const`",
                None,
            ),
            (None, None) if matches!(field.ty, Type::Optional(_)) => fields.push(ir::Assign {
                field: field.clone(),
                value: Value::Nothing,
                wrap_some: false,
            }),
            (None, None) => ctx.error(
                Pos::of(name),
                format!("the send of `{}` gives no `{}`", command.name, field.name),
                "a field missing",
                Some(format!(
                    "add `fields: {{ {}: <value> }}` or `fields_const: {{ {}: <constant> }}`",
                    field.name, field.name
                )),
            ),
        }
    }
    let given = send.value.fields.iter().map(|(name, _)| name);
    for written in given.chain(send.value.fields_const.iter().map(|(name, _)| name)) {
        if !command.fields.iter().any(|f| f.name == written.value) {
            let fields = command.fields.iter().map(|f| f.name.as_str());
            ctx.error(
                Pos::of(written),
                format!("`{}` has no field `{}`", command.name, written.value),
                "unknown field",
                names::did_you_mean(&written.value, fields),
            );
        }
    }
    Some(ir::Send {
        aggregate: aggregate.name.clone(),
        command: command.name.clone(),
        to,
        fields,
    })
}

/// `field` given what `written` names: of its type, or of the type an optional field holds.
pub(super) fn assign(
    ctx: &mut Ctx,
    field: &ir::Field,
    written: &Spanned<String>,
    sources: &Sources,
) -> Option<ir::Assign> {
    let (value, ty) = sources.resolve(ctx, written)?;
    let wrap_some = match &field.ty {
        target if *target == ty => false,
        Type::Optional(inner) if **inner == ty => true,
        target => {
            ctx.error(
                Pos::of(written),
                format!(
                    "`{}` is {}, but `{}` takes {}",
                    written.value,
                    super::a(&ty),
                    field.name,
                    super::a(target)
                ),
                "another type",
                None,
            );
            return None;
        }
    };
    Some(ir::Assign {
        field: field.clone(),
        value,
        wrap_some,
    })
}
