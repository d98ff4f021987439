//! The curl walkthrough of the README and the startup hints: commands that succeed in order,
//! then each query, with example values.

use super::examples::{example, example_body};
use super::routes::{command_route, path_text, query_route};
use super::scenario::succeeding;
use crate::model::ir::{Field, Model, QueryKind};

/// Steps for the README: each command after the history that makes it succeed.
pub struct Walkthrough {
    /// Each route and its JSON body.
    pub steps: Vec<(String, String)>,
    /// Each query's route.
    pub reads: Vec<String>,
}

/// The longest command sequence of the first aggregate that the model's own rules accept (so
/// every step succeeds when run in order), then each query, with example values. Commands a
/// workflow sends are left to it: sent by hand too, one of the two would be refused.
pub fn walkthrough(model: &Model) -> Walkthrough {
    let mut steps = Vec::new();
    let mut reads = Vec::new();
    if let Some(aggregate) = model.aggregates.first() {
        let id_text = path_text(&example(&aggregate.id).json);
        let longest = aggregate
            .commands
            .iter()
            .filter_map(|command| succeeding(aggregate, command))
            .filter(|scenario| {
                let sent = |name: &str| model.workflows.iter().any(|w| w.sends(name));
                !sent(&scenario.command.name) && !scenario.history.iter().any(|c| sent(&c.name))
            })
            .max_by_key(|scenario| scenario.history.len());
        for command in longest
            .iter()
            .flat_map(|s| s.history.iter().copied().chain([s.command]))
        {
            steps.push((
                command_route(aggregate, command, &id_text),
                example_body(command).to_string(),
            ));
        }
        for query in &model.queries {
            let values: Vec<String> = match &query.kind {
                // A term reaching inside a field (`lines[].product_id`) takes the example of
                // the field it reaches, which the commands' examples share.
                QueryKind::Find { equal, .. } => equal
                    .iter()
                    .map(|term| {
                        let reached = term.text.rsplit(['.', '[', ']']).find(|s| !s.is_empty());
                        let field = Field {
                            name: reached.unwrap_or(&term.param.name).to_owned(),
                            ..term.param.clone()
                        };
                        path_text(&example(&field).json)
                    })
                    .collect(),
                kind => kind
                    .path_fields()
                    .into_iter()
                    .map(|field| path_text(&example(field).json))
                    .collect(),
            };
            reads.push(query_route(query, &values));
        }
    }
    Walkthrough { steps, reads }
}
