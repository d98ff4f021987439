//! What the scenario search may step through beyond an aggregate's own commands: a fact seen
//! as an aggregate whose commands are the events it folds, and an aggregate with the events
//! other aggregates' decisions record on it.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::scenario::{state_before, succeeding};
use crate::model::ir::{
    Aggregate, Command, Dependency, Emit, Event, Fact, Field, FieldSource, Persistence, Source,
};

/// A fact as the scenario search sees an aggregate: its state, and one command per event it
/// folds, changing the state as the fact's handler does (after a first command that records
/// nothing, since the search starts from a creating command).
pub(super) fn fact_as_aggregate(fact: &Fact) -> Option<Aggregate> {
    let nothing = Command {
        creates: true,
        ..Command::synthetic("", Vec::new())
    };
    let mut commands = vec![nothing];
    for handler in &fact.handlers {
        let event = Event {
            apply: handler.changes.clone(),
            ..(*handler.event).clone()
        };
        let fed = fed_by_name(&handler.event.fields);
        commands.push(Command {
            emits: vec![Emit {
                event: Arc::new(event),
                fields: fed,
            }],
            ..Command::synthetic(handler.event.name.clone(), handler.event.fields.clone())
        });
    }
    Some(Aggregate {
        name: fact.name.clone(),
        id: fact.tags.first()?.clone(),
        state: fact.state.clone(),
        persistence: Persistence::default(),
        commands,
        events: Vec::new(),
        unique: Vec::new(),
    })
}

/// `other` with one more command per event a decision of any aggregate records on it, named
/// after that decision and taking the event's fields: what the scenario search may put in its
/// history besides `other`'s own commands.
pub(super) fn recorded_on_by_others(other: &Aggregate, all: &[Aggregate]) -> Aggregate {
    let mut reachable = other.clone();
    let recorders = all.iter().flat_map(|a| &a.commands).flat_map(|command| {
        command
            .depends_on
            .iter()
            .filter(|d| d.aggregate == other.name)
            .flat_map(move |d| d.emits.iter().map(move |emit| (command, emit)))
    });
    for (command, emit) in recorders {
        let fields = emit.event.fields.clone();
        reachable.commands.push(Command {
            emits: vec![Emit {
                event: Arc::clone(&emit.event),
                fields: fed_by_name(&fields),
            }],
            ..Command::synthetic(command.name.clone(), fields)
        });
    }
    reachable
}

/// What a decision needs of another aggregate, as a command of that aggregate: its guards on
/// the other's state, its own fields.
pub(super) fn needs(command: &Command, dependency: &Dependency) -> Command {
    Command {
        guards: dependency.guards.clone(),
        ..Command::synthetic(command.name.clone(), command.fields.clone())
    }
}

/// The state of the aggregate `command` reads as `dependency` when the command succeeds: after
/// the shortest history that passes its guards on it, the history its tests give it.
pub(super) fn dependency_before(
    all: &[Aggregate],
    command: &Command,
    dependency: &Dependency,
) -> Option<Map<String, Value>> {
    let other = all.iter().find(|a| a.name == dependency.aggregate)?;
    state_before(
        &recorded_on_by_others(other, all),
        &needs(command, dependency),
    )
}

/// Whether the decision passes a fact's guards before any event.
pub(super) fn succeeding_unread(blank: &Aggregate, needs: &Command) -> bool {
    let check = Command {
        creates: true,
        ..needs.clone()
    };
    succeeding(blank, &check).is_some()
}

/// Every field of an event fed by the command field of its name: example values go by name, so
/// the event carries the values the decision's example holds.
pub(super) fn fed_by_name(fields: &[Field]) -> Vec<FieldSource> {
    fields
        .iter()
        .map(|field| FieldSource {
            field: field.clone(),
            source: Source::CommandField(field.clone()),
            wrap_some: false,
        })
        .collect()
}
