//! The curl walkthrough of the README and the startup hints: commands that succeed in order,
//! then each query, with example values.

use super::examples::{example, example_body};
use super::routes::{command_route, path_text, query_route};
use super::scenario::succeeding;
use crate::model::ir::Model;

/// Steps for the README: each command after the history that makes it succeed.
pub struct Walkthrough {
    /// Each route and its JSON body.
    pub steps: Vec<(String, String)>,
    /// Each query's route.
    pub reads: Vec<String>,
}

/// The longest command sequence of the first aggregate that the model's own rules accept (so
/// every step succeeds when run in order), then each query, with example values.
pub fn walkthrough(model: &Model) -> Walkthrough {
    let mut steps = Vec::new();
    let mut reads = Vec::new();
    if let Some(aggregate) = model.aggregates.first() {
        let id_text = path_text(&example(&aggregate.id).json);
        let longest = aggregate
            .commands
            .iter()
            .filter_map(|command| succeeding(aggregate, command))
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
            let values: Vec<String> = query
                .kind
                .path_fields()
                .into_iter()
                .map(|field| path_text(&example(field).json))
                .collect();
            reads.push(query_route(query, &values));
        }
    }
    Walkthrough { steps, reads }
}
