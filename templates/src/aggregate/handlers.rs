// Created by eventwright from eventwright.yaml. This file is yours: regenerating never overwrites it.

//! How a {{ view.aggregate.name }} decides each command: check the state, then record events.
//! The first version enforces the model's guards and maps command fields to event fields by
//! name; grow it as the domain needs. A command added to the model later fails to compile
//! until it has a `Handle` impl here (or `HandleWith`, for one that needs the clock or the
//! application's `Services` of `src/services.rs`: turn any `Handle` into one when it does).
{% for line in view.handler_uses %}
{{ line }}
{%- endfor %}
{%- if !view.handler_crate_uses.is_empty() %}
{% for line in view.handler_crate_uses %}
{{ line }}
{%- endfor %}
{%- endif %}

use super::*;
{%- for command in view.commands %}
{%- if let Some(body) = command.decide %}

impl Decide for {{ command.name }} {
    fn decide(&self, read: &Read, changes: &mut Changes) -> Result<(), DispatchError> {
{%- for statement in body %}
        {{ statement }}
{%- endfor %}
    }
}
{%- else %}

impl {{ command.handler }}<{{ command.name }}> for {{ view.aggregate.name }} {
    {{ command.signature }}
{%- for (violated, refusal) in command.guards %}
        if {{ violated }} {
            {{ refusal }}
        }
{%- endfor %}
{%- for binding in command.bindings %}
        {{ binding }}
{%- endfor %}
        {{ command.result }}
    }
}
{%- endif %}
{%- endfor %}
