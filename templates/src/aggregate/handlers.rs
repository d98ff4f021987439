// Created by eventwright from eventwright.yaml. This file is yours: regenerating never overwrites it.

//! How a {{ view.aggregate.name }} decides each command: check the state, then record events.
//! The first version enforces the model's guards and maps command fields to event fields by
//! name; grow it as the domain needs. A command added to the model later fails to compile
//! until it has a `Handle` impl here.

use eventwright::{Handle, Rejection};

use super::*;
{%- for command in view.commands %}

impl Handle<{{ command.name }}> for {{ view.aggregate.name }} {
    fn handle(&self, {{ command.param }}: &{{ command.name }}) -> Result<Vec<{{ view.aggregate.name }}Event>, Rejection> {
{%- for (violated, message) in command.guards %}
        if {{ violated }} {
            return Err(Rejection::guard({{ message|rust_str }}));
        }
{%- endfor %}
        Ok(vec![
{%- for event in command.emits %}
            {{ event }},
{%- endfor %}
        ])
    }
}
{%- endfor %}
