//! What rendering needs besides the model.

use std::path::PathBuf;

/// How the generated `Cargo.toml` finds the `eventwright` crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeSource {
    /// A checkout of this repository (tests, the README demo).
    Path(PathBuf),
    /// A published version.
    Version(String),
}

/// What rendering needs besides the model.
#[derive(Debug, Clone)]
pub struct Options {
    pub runtime: RuntimeSource,
    /// The model file's text, copied into the project as its source of truth.
    pub model_source: String,
}
