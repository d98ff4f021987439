//! The `eventwright` CLI as a library: load and validate a model, render a service, write it.

pub mod diagnostic;
pub mod model;
pub mod render;
pub mod write;
