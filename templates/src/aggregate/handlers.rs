// Created by eventwright from eventwright.yaml. This file is yours: regenerating never overwrites it.

//! How a {{ view.aggregate.name }} decides each command: check the state, then record events.
//! The first version enforces the model's guards and maps command fields to event fields by
//! name; grow it as the domain needs. A command added to the model later fails to compile
//! until it has a `Handle` impl here.

use eventwright::{Handle, Rejection};

use super::*;
{%- for command in view.commands %}

impl Handle<{{ command.name }}> for {{ view.aggregate.name }} {
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
{%- endfor %}
