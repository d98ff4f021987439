//! `eventwright new`: a complete service from a model, in a new directory.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use eventwright_cli::model::ir;
use eventwright_cli::project::{self, Created, ProjectError};
use eventwright_cli::regenerate::Action;
use eventwright_cli::render::{Options, env_prefix};

use super::stdout::outln;
use super::{PROBLEM, USAGE};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  eventwright new ordering.yaml                      # into ./ordering (the service name)
  eventwright new ordering.yaml --out services/ordering
  eventwright new ordering.yaml --eventwright-version 0.1.0")]
pub struct Args {
    /// The model file (YAML).
    model: PathBuf,
    /// Where to create the project [default: ./<service name>].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overrides the model's `stores.write`.
    #[arg(long, value_enum)]
    write_store: Option<WriteStore>,
    /// Overrides the model's `stores.read`.
    #[arg(long, value_enum)]
    read_store: Option<ReadStore>,
    /// Overrides the model's `broker`.
    #[arg(long, value_enum)]
    broker: Option<Broker>,
    /// Write into a directory that is not empty. Generated files are replaced; files that are
    /// yours (handlers, tests, Cargo.toml) are kept.
    #[arg(long)]
    force: bool,
    /// Depend on the eventwright crate at this path [default: this checkout, when run from one].
    #[arg(long, conflicts_with = "eventwright_version")]
    eventwright_path: Option<PathBuf>,
    /// Depend on this published version of eventwright.
    #[arg(long)]
    eventwright_version: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum WriteStore {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReadStore {
    Sqlite,
    Postgres,
    Cassandra,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Broker {
    Inproc,
    Kafka,
}

pub fn run(args: Args) -> ExitCode {
    let mut model = match super::load(&args.model) {
        Ok(model) => model,
        Err(code) => return code,
    };
    apply_overrides(&mut model.stores, &args);
    let model_source = match std::fs::read_to_string(&args.model) {
        // The project's copy of the model is its source of truth, so the stack chosen on the
        // command line is written into it: `eventwright generate` then keeps to it.
        Ok(source) if overrides_stack(&args) => with_stack(&source, &model.stores),
        Ok(source) => source,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", args.model.display());
            return ExitCode::from(PROBLEM);
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(&model.service));
    let options = Options {
        runtime: super::runtime_source(
            args.eventwright_path.as_deref(),
            args.eventwright_version.as_deref(),
        ),
        model_source,
    };
    match project::create(&model, &options, &out, args.force) {
        Ok(Created { plan, format_note }) => {
            if let Some(note) = format_note {
                eprintln!("note: {note}");
            }
            let count = |f: fn(&Action) -> bool| plan.steps.iter().filter(|s| f(&s.action)).count();
            outln!(
                "created {} ({} files written, {} replaced; files of yours kept)",
                out.display(),
                count(|a| matches!(a, Action::Create { .. })),
                count(|a| matches!(a, Action::Update { .. } | Action::Edited { .. })),
            );
            // A Cargo.toml of yours from an earlier run may lack what this code needs.
            for step in &plan.steps {
                if matches!(step.action, Action::KeepLacking { .. }) {
                    outln!("{step}");
                }
            }
            if model.tenancy.is_some() {
                // Serving tenants, it checks tokens and names the tenants it serves.
                let env = env_prefix(&model.service);
                outln!(
                    "next: cd {} && {env}_AUTH_SECRET=$(openssl rand -hex 32) cargo run -- serve \
                     --tenants north,south",
                    out.display()
                );
            } else {
                outln!("next: cd {} && cargo run -- serve", out.display());
            }
            ExitCode::SUCCESS
        }
        Err(error @ ProjectError::NotEmpty(_)) => {
            eprintln!("error: {error}");
            ExitCode::from(USAGE)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(PROBLEM)
        }
    }
}

/// Applies the store and broker flags.
fn apply_overrides(stores: &mut ir::Stores, args: &Args) {
    match args.write_store {
        Some(WriteStore::Sqlite) => stores.write = ir::WriteStore::Sqlite,
        Some(WriteStore::Postgres) => stores.write = ir::WriteStore::Postgres,
        None => {}
    }
    match args.read_store {
        Some(ReadStore::Sqlite) => stores.read = ir::ReadStore::Sqlite,
        Some(ReadStore::Postgres) => stores.read = ir::ReadStore::Postgres,
        Some(ReadStore::Cassandra) => stores.read = ir::ReadStore::Cassandra,
        None => {}
    }
    match args.broker {
        Some(Broker::Inproc) => stores.broker = ir::Broker::Inproc,
        Some(Broker::Kafka) => stores.broker = ir::Broker::Kafka,
        None => {}
    }
}

fn overrides_stack(args: &Args) -> bool {
    args.write_store.is_some() || args.read_store.is_some() || args.broker.is_some()
}

/// `source` with its top-level `stores:` and `broker:` entries (block or flow style) replaced by
/// `stores`. Comments inside those entries go with them; everything else is kept as written.
fn with_stack(source: &str, stores: &ir::Stores) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut skipping = false;
    for line in source.lines() {
        let top_level = !line.starts_with([' ', '\t', '#']) && !line.trim().is_empty();
        if top_level {
            skipping = line.starts_with("stores:") || line.starts_with("broker:");
        }
        if !skipping {
            kept.push(line);
        }
    }
    while kept.last().is_some_and(|line| line.trim().is_empty()) {
        kept.pop();
    }
    let [write, read, broker] = eventwright_cli::stacks::words(stores);
    format!(
        "{}\n\n# Chosen with `eventwright new`; edit here and run `eventwright generate` to change.\nstores: {{ write: {write}, read: {read} }}\nbroker: {broker}\n",
        kept.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chosen_stack_replaces_the_models_in_either_style() {
        let stores = ir::Stores {
            write: ir::WriteStore::Postgres,
            read: ir::ReadStore::Sqlite,
            broker: ir::Broker::Inproc,
        };
        let block = "version: 1\nservice: shop\nstores:\n  write: sqlite # here\n  read: sqlite\nbroker: inproc\nenums: {}\n";
        let flow = "version: 1\nstores: { write: sqlite }\nservice: shop\n";
        for source in [block, flow] {
            let written = with_stack(source, &stores);
            assert_eq!(written.matches("stores:").count(), 1, "{written}");
            assert!(
                written.contains("stores: { write: postgres, read: sqlite }\nbroker: inproc\n"),
                "{written}"
            );
            assert!(written.contains("service: shop"), "{written}");
        }
        assert!(with_stack(block, &stores).contains("enums: {}"));
    }
}
