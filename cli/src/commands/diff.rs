//! `eventwright diff`: can the new model still read the events the old one stored?

use std::path::PathBuf;
use std::process::ExitCode;

use eventwright_cli::event_diff::{self, Verdict};

use super::stdout::outln;
use super::{Format, PROBLEM};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Exits 1 when a change is breaking, so it can guard a merge.

Examples:
  eventwright diff v1.yaml v2.yaml --format json
  git show main:eventwright.yaml > /tmp/old.yaml && eventwright diff /tmp/old.yaml")]
pub struct Args {
    /// The model as it was (the one that wrote the stored events).
    old: PathBuf,
    /// The model as it is now [default: the eventwright.yaml of the project around the current
    /// directory].
    new: Option<PathBuf>,
    /// `json` prints a list of {event, version, verdict, what, fix} on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(args: &Args) -> ExitCode {
    let new_path = match &args.new {
        Some(path) => path.clone(),
        None => match super::project_model(None) {
            Ok(path) => path,
            Err(code) => return code,
        },
    };
    let (old, new) = match (super::load(&args.old), super::load(&new_path)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let changes = event_diff::compare(&old, &new);
    let breaking = changes
        .iter()
        .filter(|c| c.verdict == Verdict::Breaking)
        .count();
    match args.format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&changes).expect("changes serialize")
        ),
        Format::Human => {
            for change in &changes {
                outln!("{change}");
            }
            if changes.is_empty() {
                outln!("no event changed");
            } else {
                outln!("{} change(s), {breaking} breaking", changes.len());
            }
        }
    }
    if breaking > 0 {
        ExitCode::from(PROBLEM)
    } else {
        ExitCode::SUCCESS
    }
}
