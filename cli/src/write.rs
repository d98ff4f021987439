//! Putting rendered files on disk, kept apart from rendering so that rendering stays pure.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::render::{OutputFile, Owner};

/// What writing did to each file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub created: Vec<PathBuf>,
    pub overwritten: Vec<PathBuf>,
}

/// Why a project was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{} is not empty; pass --force to write into it anyway", .0.display())]
    NotEmpty(PathBuf),
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Writes a new project into `root`, which must be missing or empty unless `force` is set.
///
/// With `force`, generated files are replaced and user-owned files that already exist are kept:
/// they hold the user's code.
pub fn write_new(root: &Path, files: &[OutputFile], force: bool) -> Result<Written, WriteError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| WriteError::Io { path, source }
    };
    if root.exists() && !force && fs::read_dir(root).map_err(io_error(root))?.next().is_some() {
        return Err(WriteError::NotEmpty(root.to_path_buf()));
    }
    let mut written = Written {
        created: Vec::new(),
        overwritten: Vec::new(),
    };
    for file in files {
        let path = root.join(&file.path);
        let exists = path.exists();
        if exists && file.owner == Owner::User {
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        fs::write(&path, &file.contents).map_err(io_error(&path))?;
        if exists {
            written.overwritten.push(file.path.clone())
        } else {
            written.created.push(file.path.clone())
        }
    }
    Ok(written)
}
