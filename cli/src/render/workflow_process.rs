//! A process manager in `src/workflows.rs`: its state and timers' types, and its
//! `ProcessManager` impl (which process each event belongs to, which start one, and what each
//! event, timer and refusal does).

use heck::ToUpperCamelCase;

use super::layout;
use super::names::{kebab, snake};
use super::rust::rust_type;
use super::workflow_steps::{Names, reads, reads_command, schedules, statements};
use super::workflows_rs::{
    EventType, Uses, arms, body_indent, declaration, event_type, matched, pattern, unit_signature,
};
use crate::model::ir::{Type, Workflow};

pub(super) fn process(workflow: &Workflow, uses: &mut Uses) -> String {
    let Some(process) = &workflow.process else {
        return String::new();
    };
    uses.add("eventwright::workflow", "ProcessManager");
    uses.add("serde", "Deserialize");
    uses.add("serde", "Serialize");
    let events = event_type(workflow, uses);
    let name = &workflow.name;
    let state_type = format!("{name}State");
    let timer_type = if workflow.timers.is_empty() {
        "()".to_owned()
    } else {
        format!("{name}Timer")
    };
    let names = Names {
        timer_enum: &timer_type,
        correlation: Some(&process.correlation),
    };
    uses.types.add(&process.correlation);
    let mut state = format!(
        "/// The state of one process of [`{name}`].\n\
         #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]\n\
         pub struct {state_type} {{\n    \
         /// What the process's events name it by.\n    \
         pub correlation: {},\n",
        rust_type(&process.correlation)
    );
    for field in &process.state {
        uses.types.add(&field.ty);
        state.push_str(&format!(
            "    pub {}: {},\n",
            field.name,
            rust_type(&field.ty)
        ));
    }
    state.push_str("}\n");
    let timers = if workflow.timers.is_empty() {
        String::new()
    } else {
        let variants: String = workflow
            .timers
            .iter()
            .map(|timer| format!("    {},\n", timer.name.to_upper_camel_case()))
            .collect();
        format!(
            "\n/// The timers of [`{name}`].\n\
             #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]\n\
             pub enum {timer_type} {{\n{variants}}}\n"
        )
    };
    let (after, at_date) = schedules(workflow);
    if after {
        uses.add("chrono", "Duration");
    }
    if at_date {
        uses.add("chrono", "NaiveTime");
    }
    let (arms, read) = arms(workflow, uses, &names, true, body_indent(workflow, &events));
    let handle = matched("event", &arms, events.partial, 8);
    let correlate = correlate(workflow, &events, &names);
    let starts: Vec<String> = workflow
        .on
        .iter()
        .filter(|on| on.starts)
        .map(|on| pattern(workflow, on, "_"))
        .collect();
    let envelope = if read.aggregate_id {
        "envelope"
    } else {
        "_envelope"
    };
    let uses_steps = arms
        .iter()
        .any(|(_, lines)| lines.iter().any(|line| line.contains("steps.")));
    let steps = if uses_steps { "steps" } else { "_steps" };
    let mut methods = vec![
        correlate,
        format!(
            "    fn starts(&self, event: &Self::Event) -> bool {{\n        {}\n    }}\n",
            matches_any("event", &starts, 8)
        ),
        format!(
            "    fn handle(\n        &self,\n        state: &mut Self::State,\n        event: &Self::Event,\n        \
             {envelope}: &EventEnvelope,\n        {steps}: &mut Steps<Self::Timer>,\n    ) {{\n        {handle}\n    }}\n"
        ),
    ];
    if !workflow.timers.is_empty() {
        methods.push(on_timer(workflow, &names, uses));
    }
    if !workflow.refused.is_empty() {
        methods.push(on_refused(workflow, &names, uses));
    }
    format!(
        "{}\n{state}{timers}\nimpl ProcessManager for {name} {{\n    const NAME: &'static str = {:?};\n    \
         type Event = {};\n    type State = {state_type};\n    type Timer = {timer_type};\n\n{}}}\n",
        declaration(workflow, "process manager"),
        kebab(name),
        events.ty,
        methods.join("\n"),
    )
}

/// `matches!(event, A | B)`, laid out.
fn matches_any(scrutinee: &str, patterns: &[String], indent: usize) -> String {
    let flat = format!("matches!({scrutinee}, {})", patterns.join(" | "));
    if indent + flat.len() <= 100 {
        return flat;
    }
    let pad = " ".repeat(indent + 4);
    format!(
        "matches!(\n{pad}{scrutinee},\n{pad}{}\n{})",
        patterns.join(&format!("\n{pad}    | ")),
        " ".repeat(indent)
    )
}

fn correlate(workflow: &Workflow, events: &EventType, names: &Names) -> String {
    let _ = names;
    let mut by_id = false;
    let arms: Vec<(String, Vec<String>)> = workflow
        .on
        .iter()
        .map(|on| match &on.correlate {
            Some(field) => {
                let value = match field.ty {
                    Type::String => format!("event.{}.clone()", field.name),
                    _ => format!("event.{}.to_string()", field.name),
                };
                (
                    pattern(workflow, on, "event"),
                    vec![format!("Some({value})")],
                )
            }
            None => {
                by_id = true;
                (
                    pattern(workflow, on, "_"),
                    vec!["Some(envelope.aggregate_id.clone())".to_owned()],
                )
            }
        })
        .collect();
    let envelope = if by_id { "envelope" } else { "_envelope" };
    let mut body = String::from("match event {\n");
    for (pattern, value) in &arms {
        let flat = format!("            {pattern} => {},", value[0]);
        if flat.len() <= 100 {
            body.push_str(&flat);
            body.push('\n');
        } else {
            body.push_str(&format!(
                "            {pattern} => {{\n                {}\n            }}\n",
                value[0]
            ));
        }
    }
    if events.partial {
        body.push_str("            _ => None,\n");
    }
    body.push_str("        }");
    format!(
        "    {}\n        {body}\n    }}\n",
        layout::signature(
            "fn correlate",
            &[
                "&self".to_owned(),
                "event: &Self::Event".to_owned(),
                format!("{envelope}: &EventEnvelope"),
            ],
            "Option<String>",
            4
        )
    )
}

fn on_timer(workflow: &Workflow, names: &Names, uses: &mut Uses) -> String {
    let mut uses_state = false;
    let mut uses_steps = false;
    let arms: Vec<(String, Vec<String>)> = workflow
        .timers
        .iter()
        .map(|timer| {
            let reads = reads(&timer.reaction);
            uses_state |= reads.state;
            uses.sends(&timer.reaction);
            let lines = statements(&timer.reaction, 16, names);
            uses_steps |= !lines.is_empty();
            (
                format!("{}::{}", names.timer_enum, timer.name.to_upper_camel_case()),
                lines,
            )
        })
        .collect();
    let state = if uses_state { "state" } else { "_state" };
    let steps = if uses_steps { "steps" } else { "_steps" };
    let signature = unit_signature(
        "fn on_timer",
        &[
            "&self".to_owned(),
            format!("{state}: &mut Self::State"),
            "timer: Self::Timer".to_owned(),
            format!("{steps}: &mut Steps<Self::Timer>"),
        ],
    );
    format!(
        "    {signature}\n        {}\n    }}\n",
        matched("timer", &arms, false, 8)
    )
}

fn on_refused(workflow: &Workflow, names: &Names, uses: &mut Uses) -> String {
    uses.add("eventwright::workflow", "Refused");
    uses.add("eventwright::workflow", "log_refusal");
    let mut uses_state = false;
    let mut uses_steps = false;
    let mut out = String::from("        ");
    // Refusals the model answers with nothing are neither handled nor logged.
    let mut quiet = Vec::new();
    let mut handled = 0;
    for on in &workflow.refused {
        uses.crate_items
            .insert((snake(&on.aggregate), on.command.clone()));
        let lines = statements(&on.reaction, 12, names);
        if lines.is_empty() {
            quiet.push(format!("refused.command::<{}>().is_none()", on.command));
            continue;
        }
        uses.sends(&on.reaction);
        uses_state |= reads(&on.reaction).state;
        uses_steps = true;
        let test = if reads_command(&on.reaction) {
            format!("let Some(command) = refused.command::<{}>()", on.command)
        } else {
            format!("refused.command::<{}>().is_some()", on.command)
        };
        if handled > 0 {
            out.push_str(" else ");
        }
        handled += 1;
        out.push_str(&format!("if {test} {{\n"));
        for line in lines {
            out.push_str(&format!("            {line}\n"));
        }
        out.push_str("        }");
    }
    let log = "log_refusal(Self::NAME, refused);";
    let opening = if handled > 0 { " else if " } else { "if " };
    match quiet.as_slice() {
        [] if handled > 0 => out.push_str(&format!(" else {{\n            {log}\n        }}")),
        [] => out.push_str(log),
        conditions => {
            let flat = format!("{opening}{} {{", conditions.join(" && "));
            let line = if handled > 0 {
                10 + flat.len()
            } else {
                8 + flat.len()
            };
            if line <= 100 {
                out.push_str(&flat);
            } else {
                out.push_str(&format!(
                    "{opening}{}\n        {{",
                    conditions.join("\n            && ")
                ));
            }
            out.push_str(&format!("\n            {log}\n        }}"));
        }
    }
    let state = if uses_state { "state" } else { "_state" };
    let steps = if uses_steps { "steps" } else { "_steps" };
    let signature = unit_signature(
        "fn on_refused",
        &[
            "&self".to_owned(),
            format!("{state}: &mut Self::State"),
            "refused: &Refused<'_>".to_owned(),
            format!("{steps}: &mut Steps<Self::Timer>"),
        ],
    );
    format!("    {signature}\n{out}\n    }}\n")
}
