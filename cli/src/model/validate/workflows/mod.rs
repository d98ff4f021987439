//! Workflows: policies (no `state`) and process managers, each reaction checked against the
//! events, commands and fields it names.

mod checks;
mod sends;
mod timers;

use std::sync::Arc;

use serde_saphyr::Spanned;

use super::aggregates::declared_event;
use super::changes::{self, Scope};
use super::ctx::Ctx;
use super::names;
use super::types::{self, Rules};
use crate::model::ast::{self, Pos};
use crate::model::ir::{self, Type};
use sends::Sources;

pub(super) fn workflows(
    ctx: &mut Ctx,
    workflows: &ast::NamedMap<ast::Workflow>,
    aggregates: &[ir::Aggregate],
) -> Vec<ir::Workflow> {
    workflows
        .iter()
        .map(|(name, ast)| workflow(ctx, name, ast, aggregates))
        .collect()
}

fn workflow(
    ctx: &mut Ctx,
    name: &Spanned<String>,
    ast: &ast::Workflow,
    aggregates: &[ir::Aggregate],
) -> ir::Workflow {
    let reported = ctx.diagnostics.len();
    let state = ast.state.as_ref().map(|fields| {
        checks::state_names(ctx, fields);
        state_fields(ctx, name, fields)
    });
    checks::timer_names(ctx, &ast.timers);
    for (_, reaction) in ast.timers.iter() {
        checks::no_changes(ctx, name, &reaction.apply, "when a timer fires");
    }
    for (_, reaction) in ast.refused.iter() {
        checks::no_changes(ctx, name, &reaction.apply, "when a command is refused");
    }
    if state.is_none() {
        policy_has_no_process_keys(ctx, name, ast);
    }
    if ast.on.0.is_empty() {
        ctx.error(
            Pos::of(name),
            format!("workflow `{}` reacts to no event", name.value),
            "no `on:`",
            Some("add `on: { <Event>: { send: [...] } }`".into()),
        );
    }
    // Each event's reaction, with what was written for it: its sends read the correlation
    // with its type, known once every event is seen.
    let mut on: Vec<(ir::OnEvent, &ast::Reaction)> = ast
        .on
        .iter()
        .filter_map(|(event, reaction)| {
            on_event(ctx, name, event, reaction, aggregates, state.as_deref())
                .map(|on| (on, reaction))
        })
        .collect();
    let process = state.map(|state| {
        let resolved: Vec<ir::OnEvent> = on.iter().map(|(on, _)| on.clone()).collect();
        let correlation = correlation(ctx, name, &ast.on, &resolved, aggregates);
        ir::Process { state, correlation }
    });
    let correlation = process.as_ref().map(|p| p.correlation.clone());
    for (reaction, written) in &mut on {
        let sources = Sources::event(&reaction.event, &reaction.aggregate, aggregates)
            .with_process(process.as_ref(), correlation.clone());
        reaction.reaction.send = sends::sends(ctx, &written.send, &sources, aggregates);
    }
    let on: Vec<ir::OnEvent> = on.into_iter().map(|(on, _)| on).collect();
    let timer_names: Vec<&str> = ast.timers.iter().map(|(n, _)| n.value.as_str()).collect();
    for reaction in ast.on.iter().map(|(_, r)| r) {
        timers::check_named(ctx, name, reaction, &timer_names);
    }
    if process.is_some() && !on.is_empty() && !on.iter().any(|on| on.starts) {
        ctx.error(
            Pos::of(name),
            format!("no event starts a process of workflow `{}`", name.value),
            "nothing `starts: true`",
            Some("mark the event that begins a process with `starts: true`".into()),
        );
    }
    let timers: Vec<ir::OnTimer> = ast
        .timers
        .iter()
        .map(|(timer, reaction)| {
            names::snake(ctx, timer, "timer");
            let sources = Sources::timer(process.as_ref(), correlation.clone());
            timers::check_named(ctx, name, reaction, &timer_names);
            ir::OnTimer {
                name: timer.value.clone(),
                reaction: reaction_of(ctx, name, reaction, &sources, aggregates, None),
            }
        })
        .collect();
    let refused: Vec<ir::OnRefused> = ast
        .refused
        .iter()
        .filter_map(|(command, reaction)| {
            let (aggregate, found) = sends::command(ctx, command, aggregates)?;
            let sources = Sources::refused(process.as_ref(), correlation.clone(), aggregate, found);
            timers::check_named(ctx, name, reaction, &timer_names);
            Some(ir::OnRefused {
                aggregate: aggregate.name.clone(),
                command: found.name.clone(),
                reaction: reaction_of(ctx, name, reaction, &sources, aggregates, None),
            })
        })
        .collect();
    let sent = |command: &str| {
        on.iter()
            .map(|on| &on.reaction)
            .chain(timers.iter().map(|on: &ir::OnTimer| &on.reaction))
            .any(|reaction| reaction.send.iter().any(|send| send.command == command))
    };
    for (command, _) in ast.refused.iter() {
        // A send that did not resolve (reported) may be the one naming it.
        let resolved = ctx.diagnostics.len() == reported;
        if resolved && !sent(&command.value) {
            ctx.error(
                Pos::of(command),
                format!(
                    "workflow `{}` never sends `{}`, so it is never refused",
                    name.value, command.value
                ),
                "not sent here",
                Some("`refused:` lists commands this workflow's reactions send".into()),
            );
        }
    }
    let partial = aggregates
        .iter()
        .filter(|aggregate| on.iter().any(|on| on.aggregate == aggregate.name))
        .flat_map(|aggregate| aggregate.events.iter().map(move |event| (aggregate, event)))
        .any(|(aggregate, event)| {
            !on.iter()
                .any(|on| on.aggregate == aggregate.name && on.event.name == event.name)
        });
    ir::Workflow {
        name: name.value.clone(),
        partial,
        description: ast.description.clone(),
        process,
        on,
        timers,
        refused,
    }
}

/// A process's state fields: each needs a value before any event sets it.
fn state_fields(ctx: &mut Ctx, workflow: &Spanned<String>, fields: &ast::Fields) -> Vec<ir::Field> {
    let state = types::fields(ctx, fields, Rules::Forbidden, None);
    for ((written, _), field) in fields.iter().zip(&state) {
        if matches!(field.ty, Type::Enum(_) | Type::Value(_)) {
            ctx.error(
                Pos::of(written),
                format!(
                    "`{}` of workflow `{}` has no value before an event sets it",
                    field.name, workflow.value
                ),
                "no starting value",
                Some(format!("make it `optional<{}>`", field.ty)),
            );
        }
    }
    state
}

/// Refuses, in a policy, what only a process manager can do.
fn policy_has_no_process_keys(ctx: &mut Ctx, name: &Spanned<String>, ast: &ast::Workflow) {
    let hint = || {
        Some(
            "give the workflow a `state:` (perhaps `state: {}`) to make it a process manager"
                .to_owned(),
        )
    };
    let refuse = |ctx: &mut Ctx, pos: Pos, what: &str| {
        ctx.error(
            pos,
            format!(
                "workflow `{}` has no `state:`, so it cannot {what}",
                name.value
            ),
            "only a process manager can",
            hint(),
        );
    };
    if let Some((timer, _)) = ast.timers.iter().next() {
        refuse(ctx, Pos::of(timer), "have timers");
    }
    if let Some((command, _)) = ast.refused.iter().next() {
        refuse(ctx, Pos::of(command), "compensate for a refusal");
    }
    for (_, reaction) in ast.on.iter() {
        if let Some(starts) = &reaction.starts {
            refuse(ctx, Pos::of(starts), "start a process");
        }
        if let Some(correlate) = &reaction.correlate {
            refuse(ctx, Pos::of(correlate), "correlate events");
        }
        if let Some((timer, _)) = reaction.schedule.iter().next() {
            refuse(ctx, Pos::of(timer), "set a timer");
        }
        if let Some(cancel) = &reaction.cancel {
            refuse(ctx, Pos::of(cancel), "cancel a timer");
        }
        if let Some(finish) = &reaction.finish {
            refuse(ctx, Pos::of(finish), "finish");
        }
        if let Some(pos) = checks::first_change(&reaction.apply) {
            refuse(ctx, pos, "keep a state");
        }
    }
}

fn on_event(
    ctx: &mut Ctx,
    workflow: &Spanned<String>,
    event_name: &Spanned<String>,
    ast: &ast::Reaction,
    aggregates: &[ir::Aggregate],
    state: Option<&[ir::Field]>,
) -> Option<ir::OnEvent> {
    let doing = format!("workflow `{}` reacts to", workflow.value);
    let (aggregate, event) = declared_event(
        ctx,
        aggregates,
        event_name,
        &doing,
        "a workflow reacts to events that aggregates declare",
    )?;
    let correlate = ast.correlate.as_ref().and_then(|field| {
        let found = event.fields.iter().find(|f| f.name == field.value).cloned();
        match &found {
            None => {
                let hint =
                    names::did_you_mean(&field.value, event.fields.iter().map(|f| f.name.as_str()))
                        .or_else(|| {
                            Some(
                                "leave `correlate` out to correlate by the event's aggregate id"
                                    .into(),
                            )
                        });
                ctx.error(
                    Pos::of(field),
                    format!("`{}` has no field `{}`", event.name, field.value),
                    "unknown field",
                    hint,
                );
            }
            Some(f) if !matches!(f.ty, Type::String | Type::Uuid | Type::Int) => {
                ctx.error(
                    Pos::of(field),
                    format!("`{}` is {}: it cannot name one process", f.name, a(&f.ty)),
                    "not a correlation",
                    Some("correlate by a string, uuid or int field".into()),
                );
                return None;
            }
            Some(_) => {}
        }
        found
    });
    let starts = ast.starts.as_ref().is_some_and(|s| s.value);
    if let (true, Some(finish)) = (starts, ast.finish.as_ref().filter(|f| f.value)) {
        ctx.error(
            Pos::of(finish),
            format!(
                "`{}` starts a process of workflow `{}` and finishes it at once",
                event.name, workflow.value
            ),
            "a process that never runs",
            Some("a reaction that only sends commands belongs to a policy".into()),
        );
    }
    if state.is_some() {
        checks::no_row_keys(ctx, workflow, &ast.apply);
    }
    let apply = match state {
        Some(state) => changes::changes(
            ctx,
            &ast.apply,
            &Scope {
                target_owner: format!("the state of workflow `{}`", workflow.value),
                targets: state,
                event: &event.name,
                sources: &event.fields,
                key: None,
            },
        ),
        None => Vec::new(),
    };
    checks::no_personal_state(ctx, workflow, event, &ast.apply);
    let mut reaction = reaction_of(
        ctx,
        workflow,
        ast,
        &Sources::event(event, &aggregate.name, aggregates),
        aggregates,
        Some(()),
    );
    reaction.apply = apply;
    Some(ir::OnEvent {
        aggregate: aggregate.name.clone(),
        id: aggregate.id.clone(),
        event: Arc::clone(event),
        starts,
        correlate,
        reaction,
    })
}

/// The correlation's type: the type of what every event correlates by (a field, or its
/// aggregate's id), which must agree.
fn correlation(
    ctx: &mut Ctx,
    workflow: &Spanned<String>,
    written: &ast::NamedMap<ast::Reaction>,
    on: &[ir::OnEvent],
    aggregates: &[ir::Aggregate],
) -> Type {
    let mut first: Option<(Type, String)> = None;
    for on in on {
        let ty = match &on.correlate {
            Some(field) => field.ty.clone(),
            None => match aggregates.iter().find(|a| a.name == on.aggregate) {
                Some(aggregate) => aggregate.id.ty.clone(),
                None => continue,
            },
        };
        match &first {
            None => first = Some((ty, on.event.name.clone())),
            Some((expected, from)) if *expected != ty => {
                let at = written
                    .iter()
                    .find(|(event, _)| event.value == on.event.name)
                    .map_or(Pos::START, |(event, reaction)| {
                        reaction.correlate.as_ref().map_or(Pos::of(event), Pos::of)
                    });
                ctx.error(
                    at,
                    format!(
                        "`{}` correlates workflow `{}` by {}, `{from}` by {}",
                        on.event.name,
                        workflow.value,
                        a(&ty),
                        a(expected)
                    ),
                    "another type of correlation",
                    Some("every event of a process correlates by a value of one type: name a field with `correlate:`".into()),
                );
            }
            Some(_) => {}
        }
    }
    first.map_or(Type::String, |(ty, _)| ty)
}

/// The sends, timers and finish of a reaction; `on_event` is `Some` for an event's, whose
/// sends are resolved once the correlation's type is known.
fn reaction_of(
    ctx: &mut Ctx,
    workflow: &Spanned<String>,
    ast: &ast::Reaction,
    sources: &Sources,
    aggregates: &[ir::Aggregate],
    on_event: Option<()>,
) -> ir::Reaction {
    if on_event.is_none() {
        for (key, present) in [
            ("starts", ast.starts.as_ref().map(Pos::of)),
            ("correlate", ast.correlate.as_ref().map(Pos::of)),
        ] {
            if let Some(pos) = present {
                ctx.error(
                    pos,
                    format!(
                        "`{key}` belongs to an event's reaction in workflow `{}`",
                        workflow.value
                    ),
                    "not here",
                    None,
                );
            }
        }
    }
    ir::Reaction {
        apply: Vec::new(),
        send: if on_event.is_some() {
            Vec::new()
        } else {
            sends::sends(ctx, &ast.send, sources, aggregates)
        },
        schedule: timers::schedule(ctx, &ast.schedule, sources),
        cancel: ast
            .cancel
            .iter()
            .flat_map(|names| &names.value)
            .map(|name| name.value.clone())
            .collect(),
        finish: ast.finish.as_ref().is_some_and(|f| f.value),
    }
}

/// `a string`, `an int`, `an optional<uuid>`: a type in a sentence.
pub(super) fn a(ty: &Type) -> String {
    let text = ty.to_string();
    let article = if text.starts_with(['a', 'e', 'i', 'o']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {text}")
}
