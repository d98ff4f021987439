//! `eventwright validate`: every problem of a model, located, for people or for tools.

use std::path::PathBuf;
use std::process::ExitCode;

use eventwright_cli::model;

use super::stdout::outln;
use super::{Format, PROBLEM};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  eventwright validate ordering.yaml
  eventwright validate ordering.yaml --format json   # [{file, line, column, message, label, hint}]")]
pub struct Args {
    /// The model file (YAML).
    model: PathBuf,
    /// How to print problems: `json` prints a list on stdout (`[]` when there is none).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(args: &Args) -> ExitCode {
    match model::load(&args.model) {
        Ok(_) => {
            if matches!(args.format, Format::Json) {
                outln!("[]");
            } else {
                eprintln!("{}: the model is valid", args.model.display());
            }
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            match args.format {
                Format::Human => eprintln!("{diagnostics}"),
                Format::Json => outln!("{}", diagnostics.to_json()),
            }
            ExitCode::from(PROBLEM)
        }
    }
}
