//! The `eventwright` CLI as a library: load and validate a model, render a service, write it,
//! and keep it in step with its model.

pub mod cargo_toml;
pub mod diagnostic;
pub mod event_diff;
pub mod format;
pub mod graph;
pub mod manifest;
pub mod model;
pub mod model_schema;
pub mod project;
pub mod regenerate;
pub mod render;
pub mod stacks;
pub mod tree;
