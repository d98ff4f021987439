//! Rendering is a pure function: a validated model in, the files of a service out. Writing them
//! is someone else's job (see [`crate::project`]), so dry runs and tests need no disk.

mod aggregate;
mod api;
mod asyncapi;
mod cargo;
mod compose;
mod copies;
mod decision;
mod decision_cases;
mod docker;
mod examples;
mod fact_cases;
mod facts_rs;
mod fields;
mod filters;
mod given_when_then;
mod http_test;
mod imports;
mod kafka_rs;
mod layout;
mod lib_rs;
mod main_rs;
mod migrations;
mod names;
mod openapi;
mod options;
mod output;
mod personal;
mod projection;
mod query_routes;
mod reachable;
mod readme;
mod routes;
mod rust;
mod scenario;
mod service;
mod services_rs;
mod telemetry_rs;
mod test_examples;
mod types_rs;
mod walkthrough;
mod workflow_process;
mod workflow_steps;
mod workflow_tests;
mod workflows_rs;

pub use options::{Options, RuntimeSource};
pub use output::{OutputFile, Owner};
pub use service::render;

/// The prefix of a service's environment variables: `INVENTORY` in `INVENTORY_AUTH_SECRET`.
pub fn env_prefix(service: &str) -> String {
    names::shouty(service)
}
