//! How a model's parts connect — commands → the aggregates and facts they address and read →
//! events → projections, facts, queries and workflows, and workflows → the commands they send —
//! as a Mermaid flowchart (embedded in the generated README) or a Graphviz graph.

use std::fmt::Write;

use crate::model::ir::Model;

/// What a node stands for; each kind gets its own shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Command,
    Aggregate,
    Event,
    Fact,
    Projection,
    Query,
    Workflow,
}

/// One arrow, in the order the flowchart reads: who acts on whom.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edge<'a> {
    from: (&'a str, Kind),
    to: (&'a str, Kind),
    label: Option<&'static str>,
}

/// Every arrow of the model, each once, in model order.
fn edges<'a>(model: &'a Model) -> Vec<Edge<'a>> {
    let mut edges = Vec::new();
    let mut push = |edge: Edge<'a>| {
        if !edges.contains(&edge) {
            edges.push(edge);
        }
    };
    for aggregate in &model.aggregates {
        for command in &aggregate.commands {
            push(Edge {
                from: (&command.name, Kind::Command),
                to: (&aggregate.name, Kind::Aggregate),
                label: None,
            });
            for emit in &command.emits {
                push(Edge {
                    from: (&aggregate.name, Kind::Aggregate),
                    to: (&emit.event.name, Kind::Event),
                    label: Some("records"),
                });
            }
            // The other aggregates it reads, and what it records on them in the same step.
            for dependency in &command.depends_on {
                push(Edge {
                    from: (&command.name, Kind::Command),
                    to: (&dependency.aggregate, Kind::Aggregate),
                    label: Some("reads"),
                });
                for emit in &dependency.emits {
                    push(Edge {
                        from: (&dependency.aggregate, Kind::Aggregate),
                        to: (&emit.event.name, Kind::Event),
                        label: Some("records"),
                    });
                }
            }
            for read in &command.facts {
                push(Edge {
                    from: (&command.name, Kind::Command),
                    to: (&read.fact.name, Kind::Fact),
                    label: Some("reads"),
                });
            }
        }
    }
    for fact in &model.facts {
        for handler in &fact.handlers {
            push(Edge {
                from: (&handler.event.name, Kind::Event),
                to: (&fact.name, Kind::Fact),
                label: Some("folded into"),
            });
        }
    }
    for projection in &model.projections {
        for handler in &projection.handlers {
            push(Edge {
                from: (&handler.event.name, Kind::Event),
                to: (&projection.name, Kind::Projection),
                label: None,
            });
        }
        for read in projection.reads() {
            push(Edge {
                from: (read, Kind::Projection),
                to: (&projection.name, Kind::Projection),
                label: Some("copied into"),
            });
        }
    }
    for query in &model.queries {
        push(Edge {
            from: (&query.projection.name, Kind::Projection),
            to: (&query.name, Kind::Query),
            label: None,
        });
    }
    for workflow in &model.workflows {
        for on in &workflow.on {
            push(Edge {
                from: (&on.event.name, Kind::Event),
                to: (&workflow.name, Kind::Workflow),
                label: on.starts.then_some("starts"),
            });
        }
        let reactions = workflow
            .on
            .iter()
            .map(|on| (&on.reaction, "sends"))
            .chain(
                workflow
                    .timers
                    .iter()
                    .map(|on| (&on.reaction, "on a timer, sends")),
            )
            .chain(
                workflow
                    .refused
                    .iter()
                    .map(|on| (&on.reaction, "when refused, sends")),
            );
        for (reaction, label) in reactions {
            for send in &reaction.send {
                push(Edge {
                    from: (&workflow.name, Kind::Workflow),
                    to: (&send.command, Kind::Command),
                    label: Some(label),
                });
            }
        }
    }
    edges
}

/// A Mermaid `flowchart LR`. A node's shape is given where it first appears as a target (or as
/// the source of its first arrow, for commands, which nothing points at).
pub fn mermaid(model: &Model) -> String {
    let shape = |(name, kind): (&str, Kind)| match kind {
        Kind::Command => format!("{name}[/{name}/]"),
        Kind::Aggregate => format!("{name}[({name})]"),
        Kind::Event => format!("{name}>{name}]"),
        Kind::Fact => format!("{name}([{name}])"),
        Kind::Projection => format!("{name}[[{name}]]"),
        Kind::Query => format!("{name}{{{{{name}}}}}"),
        Kind::Workflow => format!("{name}{{{name}}}"),
    };
    let mut out = String::from("flowchart LR");
    for edge in edges(model) {
        let from = match edge.from.1 {
            Kind::Command => shape(edge.from),
            _ => edge.from.0.to_owned(),
        };
        // A command is drawn where it first appears, as the source of its first arrow.
        let to = match edge.to.1 {
            Kind::Command => edge.to.0.to_owned(),
            _ => shape(edge.to),
        };
        let arrow = edge
            .label
            .map_or_else(|| "-->".to_owned(), |label| format!("-- {label} -->"));
        write!(out, "\n    {from} {arrow} {to}").expect("writing to a String");
    }
    out
}

/// A Graphviz `digraph`, for `dot -Tsvg`.
pub fn dot(model: &Model) -> String {
    let edges = edges(model);
    let mut out = format!(
        "digraph {} {{\n    rankdir=LR;\n    node [fontname=\"Helvetica\"];\n",
        quoted(&model.service)
    );
    let mut declared: Vec<&str> = Vec::new();
    for (name, kind) in edges.iter().flat_map(|e| [e.from, e.to]) {
        if declared.contains(&name) {
            continue;
        }
        declared.push(name);
        let shape = match kind {
            Kind::Command => "shape=parallelogram",
            Kind::Aggregate => "shape=cylinder",
            Kind::Event => "shape=cds",
            Kind::Fact => "shape=ellipse",
            Kind::Projection => "shape=box, style=rounded",
            Kind::Query => "shape=hexagon",
            Kind::Workflow => "shape=diamond",
        };
        writeln!(out, "    {} [{shape}];", quoted(name)).expect("writing to a String");
    }
    for edge in &edges {
        let label = edge
            .label
            .map_or_else(String::new, |label| format!(" [label={}]", quoted(label)));
        writeln!(
            out,
            "    {} -> {}{label};",
            quoted(edge.from.0),
            quoted(edge.to.0)
        )
        .expect("writing to a String");
    }
    out.push_str("}\n");
    out
}

/// A DOT string literal. Model names are identifiers, but the service name may hold `-`.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordering() -> Model {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/ordering.yaml");
        crate::model::load(std::path::Path::new(path)).expect("the example is valid")
    }

    #[test]
    fn mermaid_draws_each_arrow_once_in_model_order() {
        let chart = mermaid(&ordering());
        let lines: Vec<&str> = chart.lines().collect();
        assert_eq!(lines[0], "flowchart LR");
        assert_eq!(lines[1], "    PlaceOrder[/PlaceOrder/] --> Order[(Order)]");
        assert_eq!(
            lines[2],
            "    Order -- records --> OrderPlaced>OrderPlaced]"
        );
        assert!(lines.contains(&"    OrderPlaced --> OrderSummary[[OrderSummary]]"));
        assert!(lines.contains(&"    OrderSummary --> order_summary{{order_summary}}"));
        let mut unique = lines.clone();
        unique.dedup();
        assert_eq!(unique.len(), lines.len());
    }

    #[test]
    fn dot_declares_every_node_once_then_the_edges() {
        let graph = dot(&ordering());
        assert!(graph.starts_with("digraph \"ordering\" {"), "{graph}");
        assert_eq!(graph.matches("\"Order\" [shape=cylinder];").count(), 1);
        assert!(graph.contains("\"Order\" -> \"ItemAdded\" [label=\"records\"];"));
        assert!(graph.contains("\"OrderHistory\" -> \"orders_by_customer\";"));
        assert!(graph.ends_with("}\n"));
    }

    #[test]
    fn a_command_reading_another_aggregate_draws_the_read_and_what_it_records_there() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/library.yaml");
        let library = crate::model::load(std::path::Path::new(path)).expect("the example is valid");
        let chart = mermaid(&library);
        assert!(
            chart.contains("    LendBook[/LendBook/] -- reads --> Member[(Member)]"),
            "{chart}"
        );
        assert!(
            chart.contains("    Member -- records --> LoanRecorded>LoanRecorded]"),
            "{chart}"
        );
        assert!(
            chart.contains("    MemberLoans -- copied into --> ActiveLoans[[ActiveLoans]]"),
            "{chart}"
        );
    }

    #[test]
    fn a_fact_is_drawn_between_the_events_it_folds_and_the_commands_reading_it() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/courses.yaml");
        let courses = crate::model::load(std::path::Path::new(path)).expect("the example is valid");
        let chart = mermaid(&courses);
        assert!(
            chart.contains(
                "    SubscribeToCourse[/SubscribeToCourse/] -- reads --> CourseSeats([CourseSeats])"
            ),
            "{chart}"
        );
        assert!(
            chart.contains("    StudentSubscribed -- folded into --> CourseSeats([CourseSeats])"),
            "{chart}"
        );
        let graph = dot(&courses);
        assert_eq!(
            graph.matches("\"Subscription\" [shape=ellipse];").count(),
            1
        );
    }
}
