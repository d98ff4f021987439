//! What rendering produces: the files of a service, each with its owner.

use std::path::PathBuf;

/// Who owns a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Rewritten from the model on every generation; edits are overwritten. Its header says so.
    Generated,
    /// Written once; the user's from then on. Domain logic and tests live here.
    User,
}

/// One file of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative to the project root, `/`-separated.
    pub path: PathBuf,
    pub contents: String,
    pub owner: Owner,
}

/// askama drops a template's final newline; every text file ends with one.
pub(super) fn file(path: &str, owner: Owner, mut contents: String) -> OutputFile {
    if !contents.ends_with('\n') {
        contents.push('\n');
    }
    OutputFile {
        path: PathBuf::from(path),
        contents,
        owner,
    }
}
