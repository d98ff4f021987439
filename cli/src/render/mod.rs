//! Rendering is a pure function: a validated model in, the files of a service out. Writing them
//! is someone else's job (see [`crate::write`]), so dry runs and tests need no disk.

mod aggregate;
mod api;
mod asyncapi;
mod cassandra;
mod database;
mod examples;
mod fields;
mod files;
mod imports;
mod layout;
mod names;
mod openapi;
mod project_tests;
mod projection;
mod rust;
mod scenario;

use std::path::PathBuf;

pub use files::render;

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

/// Only what templates cannot say well themselves.
mod filters {
    /// The text as a Rust string literal.
    #[askama::filter_fn]
    pub fn rust_str(
        text: impl std::fmt::Display,
        _: &dyn askama::Values,
    ) -> askama::Result<String> {
        Ok(format!("{:?}", text.to_string()))
    }
}
