//! A project's files as users get them — rendered from the model, then formatted as in the
//! project — and a new project made of them. `eventwright new` and `eventwright generate` go
//! through here, and so do the end-to-end tests and the benchmark, so they exercise what users
//! run.

use std::path::{Path, PathBuf};

use crate::format;
use crate::model::ir::Model;
use crate::regenerate::{self, Plan, RegenerateError};
use crate::render::{self, Options, OutputFile};
use crate::tree::Disk;

/// The project's files as they are written.
#[derive(Debug, Clone)]
pub struct Files {
    pub files: Vec<OutputFile>,
    /// Why a Rust file was left as rendered (rustfmt missing or failing), if one was.
    pub format_note: Option<String>,
}

/// What creating a project did.
#[derive(Debug, Clone)]
pub struct Created {
    /// Every file and what was done with it.
    pub plan: Plan,
    /// As in [`Files::format_note`].
    pub format_note: Option<String>,
}

/// Why a project was not created.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{} is not empty; pass --force to write into it anyway", .0.display())]
    NotEmpty(PathBuf),
    #[error("rendering failed: {0}")]
    Render(#[from] askama::Error),
    #[error(transparent)]
    Write(#[from] RegenerateError),
}

/// Renders the project of `model`, then formats its Rust as `cargo fmt` would in `root` (whose
/// `rustfmt.toml`, if any, applies), so the bytes written, compared on regeneration and
/// checksummed in the manifest are the same bytes.
pub fn files(model: &Model, options: &Options, root: &Path) -> Result<Files, askama::Error> {
    let mut files = render::render(model, options)?;
    let format_note = format::rust_files(&mut files, root);
    Ok(Files { files, format_note })
}

/// Creates the project of `model` in `root`, which must be missing or empty unless `force` is
/// set. With `force`, generated files are replaced and files of the user's are kept; the project
/// gets its manifest either way, so `eventwright generate` can take it from there.
pub fn create(
    model: &Model,
    options: &Options,
    root: &Path,
    force: bool,
) -> Result<Created, ProjectError> {
    let occupied = std::fs::read_dir(root).is_ok_and(|mut entries| entries.next().is_some());
    if occupied && !force {
        return Err(ProjectError::NotEmpty(root.to_path_buf()));
    }
    let Files { files, format_note } = files(model, options, root)?;
    let mut tree = Disk {
        root: root.to_path_buf(),
    };
    let plan = regenerate::plan(&files, &tree)?;
    // Only generated files edited by hand conflict; a new project replaces them, as `force` says.
    plan.apply(&mut tree, true)?;
    Ok(Created { plan, format_note })
}
