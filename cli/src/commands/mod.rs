//! One module per subcommand, and what they share: exit codes, finding the project, loading a
//! model with its problems printed.

pub mod diff;
pub mod generate;
pub mod graph;
pub mod new;
pub mod stdout;
pub mod validate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;
use eventwright_cli::model::{self, ir};
use eventwright_cli::render::RuntimeSource;

/// Exit code for a problem found: an invalid model, stale or edited files, breaking changes.
pub const PROBLEM: u8 = 1;
/// Exit code for a command line that cannot be carried out as given.
pub const USAGE: u8 = 2;

/// The model file of a generated project, at its root.
pub const PROJECT_MODEL: &str = "eventwright.yaml";

/// How to print problems.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// Loads a model, or prints every problem and says which exit code to use.
pub fn load(path: &Path) -> Result<ir::Model, ExitCode> {
    model::load(path).map_err(|diagnostics| {
        eprintln!("{diagnostics}");
        ExitCode::from(PROBLEM)
    })
}

/// The project holding the current directory: the nearest directory, from here up, with an
/// `eventwright.yaml` — as cargo finds `Cargo.toml`.
pub fn find_project() -> Result<PathBuf, ExitCode> {
    let here = std::env::current_dir().map_err(|error| {
        eprintln!("error: cannot read the current directory: {error}");
        ExitCode::from(USAGE)
    })?;
    here.ancestors()
        .find(|dir| dir.join(PROJECT_MODEL).is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            eprintln!(
                "error: no {PROJECT_MODEL} in {} or any parent directory; run this inside a \
                 project made by `eventwright new`, or pass --project",
                here.display()
            );
            ExitCode::from(USAGE)
        })
}

/// The model of the project at `project`, or of the one holding the current directory.
pub fn project_model(project: Option<&Path>) -> Result<PathBuf, ExitCode> {
    match project {
        Some(dir) => Ok(dir.join(PROJECT_MODEL)),
        None => find_project().map(|dir| dir.join(PROJECT_MODEL)),
    }
}

/// A checkout's runtime when the CLI runs from one, else the version the CLI was released with.
pub fn runtime_source(path: Option<&Path>, version: Option<&str>) -> RuntimeSource {
    if let Some(path) = path {
        return RuntimeSource::Path(std::path::absolute(path).unwrap_or_else(|_| path.into()));
    }
    if let Some(version) = version {
        return RuntimeSource::Version(version.to_owned());
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
