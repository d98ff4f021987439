//! The project's `Cargo.toml`: the package, and how it depends on `eventwright`.

use askama::Template;

use super::filters;
use super::options::RuntimeSource;
use crate::model::ir::{Broker, Model, ReadStore, WriteStore};

#[derive(Template)]
#[template(path = "Cargo.toml")]
pub(super) struct CargoToml<'a> {
    model: &'a Model,
    runtime: String,
    /// The same crate with its test kit, for the project's tests.
    runtime_for_tests: String,
}

impl<'a> CargoToml<'a> {
    pub(super) fn new(model: &'a Model, runtime: &RuntimeSource) -> Self {
        Self {
            model,
            runtime: runtime_dependency(runtime, model, &[]),
            runtime_for_tests: runtime_dependency(runtime, model, &["\"testing\""]),
        }
    }
}

/// The `eventwright = ...` value: where the crate comes from, and the adapters the stack needs.
fn runtime_dependency(source: &RuntimeSource, model: &Model, more: &[&'static str]) -> String {
    let postgres =
        model.stores.write == WriteStore::Postgres || model.stores.read == ReadStore::Postgres;
    // Every service can check bearer tokens; whether it does is a setting.
    let mut names = vec!["\"auth\""];
    if model.stores.read == ReadStore::Cassandra {
        names.push("\"cassandra\"");
    }
    if model.stores.broker == Broker::Kafka {
        names.push("\"kafka\"");
    }
    if postgres {
        names.push("\"postgres\"");
    }
    if super::personal::Personal::of(model).is_some() {
        names.push("\"personal\"");
    }
    names.extend(more);
    let features = if names.is_empty() {
        String::new()
    } else {
        format!(", features = [{}]", names.join(", "))
    };
    match source {
        RuntimeSource::Path(path) => {
            format!("{{ path = {:?}{features} }}", path.display().to_string())
        }
        RuntimeSource::Version(version) if features.is_empty() => format!("{version:?}"),
        RuntimeSource::Version(version) => format!("{{ version = {version:?}{features} }}"),
    }
}
