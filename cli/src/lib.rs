//! The `eventwright` CLI as a library: load and validate a model, render a service, write it,
//! and keep it in step with its model.

pub mod cargo_toml;
pub mod compat;
pub mod diagnostic;
pub mod format;
pub mod generate;
pub mod graph;
pub mod manifest;
pub mod model;
pub mod render;
pub mod schema;
pub mod stacks;
pub mod tree;
pub mod write;
