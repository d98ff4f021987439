//! `eventwright graph`: the model as a diagram.

use std::path::PathBuf;
use std::process::ExitCode;

use super::stdout::{out, outln};
use clap::ValueEnum;
use eventwright_cli::graph;

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  eventwright graph                                   # inside a project: its eventwright.yaml
  eventwright graph ordering.yaml --format dot | dot -Tsvg > ordering.svg")]
pub struct Args {
    /// The model file [default: the eventwright.yaml of the project around the current directory].
    model: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (renders on GitHub in a ```mermaid block).
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

pub fn run(args: &Args) -> ExitCode {
    let path = match &args.model {
        Some(path) => path.clone(),
        None => match super::project_model(None) {
            Ok(path) => path,
            Err(code) => return code,
        },
    };
    let model = match super::load(&path) {
        Ok(model) => model,
        Err(code) => return code,
    };
    match args.format {
        GraphFormat::Mermaid => outln!("{}", graph::mermaid(&model)),
        GraphFormat::Dot => out!("{}", graph::dot(&model)),
    }
    ExitCode::SUCCESS
}
