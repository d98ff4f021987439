//! `eventwright`: scaffold a CQRS service from a YAML model.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use eventwright_cli::model::{self, ir};
use eventwright_cli::render::{self, Options, RuntimeSource};
use eventwright_cli::write;

/// Exit code for a model with problems, or a failure to write.
const INVALID: u8 = 1;
/// Exit code for a command line that cannot be carried out as given.
const USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "eventwright",
    version,
    about = "Scaffold CQRS services from a YAML model"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a new service from a model.
    New(NewArgs),
    /// Check a model and print every problem with its location.
    Validate(ValidateArgs),
}

#[derive(Debug, clap::Args)]
struct NewArgs {
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

#[derive(Debug, clap::Args)]
struct ValidateArgs {
    /// The model file (YAML).
    model: PathBuf,
    /// How to print problems.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
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

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::New(args) => new(args),
        Command::Validate(args) => validate(&args),
    }
}

fn validate(args: &ValidateArgs) -> ExitCode {
    match model::load(&args.model) {
        Ok(_) => {
            if matches!(args.format, Format::Json) {
                println!("[]");
            } else {
                eprintln!("{}: the model is valid", args.model.display());
            }
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            match args.format {
                Format::Human => eprintln!("{diagnostics}"),
                Format::Json => println!("{}", diagnostics.to_json()),
            }
            ExitCode::from(INVALID)
        }
    }
}

fn new(args: NewArgs) -> ExitCode {
    let mut model = match model::load(&args.model) {
        Ok(model) => model,
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            return ExitCode::from(INVALID);
        }
    };
    if let Err(message) = apply_overrides(&mut model.stores, &args) {
        eprintln!("error: {message}");
        return ExitCode::from(USAGE);
    }
    let model_source = match std::fs::read_to_string(&args.model) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", args.model.display());
            return ExitCode::from(INVALID);
        }
    };
    let options = Options {
        runtime: runtime_source(&args),
        model_source,
    };
    let files = match render::render(&model, &options) {
        Ok(files) => files,
        Err(error) => {
            eprintln!("error: rendering failed: {error}");
            return ExitCode::from(INVALID);
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(&model.service));
    match write::write_new(&out, &files, args.force) {
        Ok(written) => {
            if let Err(note) = write::format_rust(&out, &written) {
                eprintln!("note: {note}");
            }
            println!(
                "created {} ({} files written, {} replaced; files of yours kept)",
                out.display(),
                written.created.len(),
                written.overwritten.len()
            );
            println!("next: cd {} && cargo run -- serve", out.display());
            ExitCode::SUCCESS
        }
        Err(error @ write::WriteError::NotEmpty(_)) => {
            eprintln!("error: {error}");
            ExitCode::from(USAGE)
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(INVALID)
        }
    }
}

/// Applies the store and broker flags. Adapters that do not exist yet are refused up front,
/// never rendered into a project that cannot build.
fn apply_overrides(stores: &mut ir::Stores, args: &NewArgs) -> Result<(), String> {
    let not_yet = |what: &str| {
        Err(format!(
            "{what} is not available yet; use the default (sqlite/sqlite/inproc)"
        ))
    };
    match args.write_store {
        Some(WriteStore::Sqlite) => stores.write = ir::WriteStore::Sqlite,
        Some(WriteStore::Postgres) => return not_yet("--write-store postgres"),
        None => {}
    }
    match args.read_store {
        Some(ReadStore::Sqlite) => stores.read = ir::ReadStore::Sqlite,
        Some(ReadStore::Postgres) => return not_yet("--read-store postgres"),
        Some(ReadStore::Cassandra) => return not_yet("--read-store cassandra"),
        None => {}
    }
    match args.broker {
        Some(Broker::Inproc) => stores.broker = ir::Broker::Inproc,
        Some(Broker::Kafka) => return not_yet("--broker kafka"),
        None => {}
    }
    Ok(())
}

/// A checkout's runtime when the CLI runs from one, else the version the CLI was released with.
fn runtime_source(args: &NewArgs) -> RuntimeSource {
    if let Some(path) = &args.eventwright_path {
        return RuntimeSource::Path(std::path::absolute(path).unwrap_or_else(|_| path.clone()));
    }
    if let Some(version) = &args.eventwright_version {
        return RuntimeSource::Version(version.clone());
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime");
    match checkout
        .join("Cargo.toml")
        .is_file()
        .then(|| checkout.canonicalize())
    {
        Some(Ok(path)) => RuntimeSource::Path(path),
        _ => RuntimeSource::Version(env!("CARGO_PKG_VERSION").to_owned()),
    }
}
