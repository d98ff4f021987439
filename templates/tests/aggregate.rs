// Created by eventwright from eventwright.yaml. This file is yours: regenerating never overwrites it.

//! Given/when/then tests of the {{ aggregate }} handlers: past events, a command, the outcome.

use eventwright::testing::given;
{%- for line in uses %}
{{ line }}
{%- endfor %}
use {{ crate_name }}::{{ module }}::*;
{%- for case in cases %}

#[test]
fn {{ case.name }}() {
    given::<{{ aggregate }}>([
{%- for event in case.given %}
        {{ event }},
{%- endfor %}
    ])
    .when({{ case.when }})
{%- if let Some(message) = case.refused_by %}
    .then_expect_refusal({{ message|rust_str }});
{%- else %}
    .then_expect_events([
{%- for event in case.expect_events %}
        {{ event }},
{%- endfor %}
    ]);
{%- endif %}
}
{%- endfor %}
