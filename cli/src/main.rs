//! `eventwright`: scaffold a CQRS service from a YAML model, and keep it in step with the model.

mod commands;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use commands::stdout::out;
use commands::{diff, generate, graph, new, validate};

#[derive(Debug, Parser)]
#[command(
    name = "eventwright",
    version,
    about = "Scaffold CQRS services from a YAML model, and keep them in step with it",
    after_help = "\
Exit codes: 0 ok, 1 a problem was found (invalid model, stale or edited files, breaking \
changes), 2 the command line cannot be carried out as given.

Examples:
  eventwright new ordering.yaml --out ordering
  cd ordering && eventwright generate          # after editing eventwright.yaml
  eventwright generate --check                 # in CI
  eventwright diff old.yaml eventwright.yaml   # are stored events still readable?"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a new service from a model.
    New(new::Args),
    /// Regenerate a project from its edited model, keeping your code.
    Generate(generate::Args),
    /// Check a model and print every problem with its location.
    Validate(validate::Args),
    /// Draw how commands, events, projections and queries connect.
    Graph(graph::Args),
    /// Classify each event change between two models as compatible or breaking.
    Diff(diff::Args),
    /// Print the JSON Schema of the model file, for editors.
    #[command(after_help = "\
Examples:
  eventwright schema > eventwright.schema.json
  # then, first line of the model: # yaml-language-server: $schema=eventwright.schema.json
Generated projects carry a copy in .eventwright/model.schema.json that their model names.")]
    Schema,
    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  eventwright completions bash > ~/.local/share/bash-completion/completions/eventwright
  eventwright completions zsh > ~/.zfunc/_eventwright
  eventwright completions fish > ~/.config/fish/completions/eventwright.fish")]
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::New(args) => new::run(args),
        Command::Generate(args) => generate::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Schema => {
            out!("{}", eventwright_cli::model_schema::JSON);
            ExitCode::SUCCESS
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "eventwright", &mut script);
            out!("{}", String::from_utf8_lossy(&script));
            ExitCode::SUCCESS
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
