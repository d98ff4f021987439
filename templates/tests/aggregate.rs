// Created by eventwright from eventwright.yaml. This file is yours: regenerating never overwrites it.

//! Given/when/then tests of the command handlers: past events, a command, the outcome.
{% for line in runtime_uses %}
{{ line }}
{%- endfor %}
{%- if !uses.is_empty() %}
{% for line in uses %}
{{ line }}
{%- endfor %}
{%- endif %}
{% for line in crate_uses %}
{{ line }}
{%- endfor %}
{%- for constant in consts %}
{%- if loop.first %}
{% endif %}
{{ constant }}
{%- endfor %}
{%- if reads_clock %}

/// The time the tests' clock stands at.
fn now() -> chrono::DateTime<chrono::Utc> {
    {{ now|rust_str }}.parse().unwrap()
}
{%- endif %}
{%- for example in commands %}

fn {{ example.name }}() -> {{ example.ty }} {
    {{ example.body }}
}
{%- endfor %}
{%- for example in events %}

fn {{ example.name }}() -> {{ example.ty }} {
    {{ example.body }}
}
{%- endfor %}
{%- for case in cases %}

#[test]
fn {{ case.name }}() {
{%- for statement in case.statements %}
    {{ statement }}
{%- endfor %}
}
{%- endfor %}
