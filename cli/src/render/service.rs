//! The files of a service: which there are, for which stack, and who owns each.

use askama::Template;

use super::aggregate::{AggregateRs, AggregateView, HandlersRs};
use super::api::ApiRs;
use super::cargo::CargoToml;
use super::compose::{DockerCompose, Servers};
use super::docker::{DockerIgnore, Dockerfile};
use super::facts_rs::FactsRs;
use super::given_when_then::AggregateTest;
use super::http_test::{HttpTest, TenantsHttpTest};
use super::kafka_rs::KafkaRs;
use super::lib_rs::LibRs;
use super::main_rs::MainRs;
use super::migrations::migrations;
use super::names::snake;
use super::options::Options;
use super::output::{OutputFile, Owner, file};
use super::projection::{ProjectionRs, ProjectionView, ProjectionsRs};
use super::readme::Readme;
use super::services_rs::ServicesRs;
use super::telemetry_rs::TelemetryRs;
use super::types_rs::TypesRs;
use super::{asyncapi, openapi, workflow_tests, workflows_rs};
use crate::model::ir::{Broker, Model};
use crate::model_schema;

/// Renders every file of the service described by `model`.
pub fn render(model: &Model, options: &Options) -> Result<Vec<OutputFile>, askama::Error> {
    let crate_name = snake(&model.service);
    let mut files = vec![
        file(
            "Cargo.toml",
            Owner::User,
            CargoToml::new(model, &options.runtime).render()?,
        ),
        file(
            "eventwright.yaml",
            Owner::User,
            model_schema::annotate(&options.model_source),
        ),
        file(
            model_schema::PROJECT_PATH,
            Owner::Generated,
            model_schema::JSON.to_owned(),
        ),
        file(
            ".gitignore",
            Owner::User,
            "# Created by eventwright. This file is yours.\n/target\n*.db\n*.db-shm\n*.db-wal\n"
                .to_owned(),
        ),
        file("README.md", Owner::Generated, Readme::new(model)?.render()?),
        file(
            "src/main.rs",
            Owner::Generated,
            MainRs::new(model, &crate_name).render()?,
        ),
        file(
            "src/projections/mod.rs",
            Owner::Generated,
            ProjectionsRs::new(model).render()?,
        ),
        file(
            "src/telemetry.rs",
            Owner::Generated,
            TelemetryRs::new(model).render()?,
        ),
        file("src/lib.rs", Owner::Generated, LibRs::new(model).render()?),
        file("src/api.rs", Owner::Generated, ApiRs::new(model).render()?),
        file("src/services.rs", Owner::User, ServicesRs.render()?),
        file("tests/http.rs", Owner::User, http_test(model, &crate_name)?),
    ];
    files.extend(database_files(model)?);
    files.push(file(
        "Dockerfile",
        Owner::User,
        Dockerfile::new(model).render()?,
    ));
    files.push(file(".dockerignore", Owner::User, DockerIgnore.render()?));
    files.push(file(
        "openapi.json",
        Owner::Generated,
        openapi::document(model),
    ));
    if model.stores.broker == Broker::Kafka {
        files.push(file(
            "src/kafka.rs",
            Owner::Generated,
            KafkaRs::new(model).render()?,
        ));
        files.push(file(
            "asyncapi.json",
            Owner::Generated,
            asyncapi::document(model),
        ));
    }
    if !model.enums.is_empty() || !model.values.is_empty() {
        files.push(file(
            "src/types.rs",
            Owner::Generated,
            TypesRs::new(model).render()?,
        ));
    }
    if !model.facts.is_empty() {
        files.push(file(
            "src/facts.rs",
            Owner::Generated,
            FactsRs::new(model).render()?,
        ));
    }
    if !model.workflows.is_empty() {
        files.push(file(
            "src/workflows.rs",
            Owner::Generated,
            workflows_rs::render(model),
        ));
        files.push(file(
            "tests/workflows.rs",
            Owner::User,
            workflow_tests::render(model, &crate_name),
        ));
    }
    for aggregate in &model.aggregates {
        let module = snake(&aggregate.name);
        let view = AggregateView::new(aggregate);
        files.push(file(
            &format!("src/{module}/mod.rs"),
            Owner::Generated,
            AggregateRs { view: &view }.render()?,
        ));
        files.push(file(
            &format!("src/{module}/handlers.rs"),
            Owner::User,
            HandlersRs { view: &view }.render()?,
        ));
        files.push(file(
            &format!("tests/{module}.rs"),
            Owner::User,
            AggregateTest::new(aggregate, &model.aggregates, &crate_name).render()?,
        ));
    }
    for projection in &model.projections {
        let view = ProjectionView::new(projection);
        files.push(file(
            &format!("src/projections/{}.rs", snake(&projection.name)),
            Owner::Generated,
            ProjectionRs { view: &view }.render()?,
        ));
    }
    Ok(files)
}

/// `docker-compose.yml` and the SQL files, when a side of the stack is on PostgreSQL. A stack on
/// SQLite alone needs no server, so it gets neither: regenerating after a switch to SQLite
/// removes them, and the README says there is nothing to start.
fn database_files(model: &Model) -> Result<Vec<OutputFile>, askama::Error> {
    let mut files = Vec::new();
    if Servers::of(model).any() {
        files.push(file(
            "docker-compose.yml",
            Owner::Generated,
            DockerCompose::new(model).render()?,
        ));
    }
    for migration in migrations(model)? {
        files.push(file(&migration.path, Owner::Generated, migration.contents));
    }
    Ok(files)
}

/// The project's HTTP test: with tenants, every request carries a token naming its tenant.
fn http_test(model: &Model, crate_name: &str) -> Result<String, askama::Error> {
    let test = HttpTest::new(model, crate_name);
    if model.tenancy.is_some() {
        TenantsHttpTest { test }.render()
    } else {
        test.render()
    }
}
