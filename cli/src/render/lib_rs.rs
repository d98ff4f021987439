//! `src/lib.rs`: the crate's modules, and how it wires the stores and broker of its stack.

use askama::Template;

use super::filters;
use super::imports::use_line;
use super::names::{shouty, snake};
use super::personal::Personal;
use crate::model::ir::{Broker, Model, ReadStore, Tenancy, WriteStore};

#[derive(Template)]
#[template(path = "src/lib.rs")]
pub(super) struct LibRs<'a> {
    model: &'a Model,
    /// Every module of the crate, in the order rustfmt sorts them.
    modules: Vec<String>,
    /// `use` lines for the store adapters in use.
    store_uses: Vec<String>,
    write_postgres: bool,
    read_postgres: bool,
    read_cassandra: bool,
    kafka: bool,
    /// Whether the model has workflows, which the app runs beside the projections.
    workflows: bool,
    /// What `Config::for_tests` gives each side, for its doc comment.
    test_stores: String,
    /// The environment variable naming the Cassandra nodes that tests may use.
    cassandra_test_env: String,
    /// The environment variable naming the PostgreSQL server that tests may use.
    test_env: String,
    /// The personal fields, when the model has any: sealed in the store and the broker.
    personal: Option<Personal>,
    /// The claim naming a caller's tenant, when the service serves several.
    tenancy: Option<&'a Tenancy>,
    /// Where `Config::for_tenant` puts each tenant's stores, for its doc comment.
    tenant_stores: String,
}

impl<'a> LibRs<'a> {
    pub(super) fn new(model: &'a Model) -> Self {
        let mut modules: Vec<String> = model.aggregates.iter().map(|a| snake(&a.name)).collect();
        modules.extend([
            "api".to_owned(),
            "projections".to_owned(),
            "services".to_owned(),
        ]);
        if !model.enums.is_empty() || !model.values.is_empty() {
            modules.push("types".to_owned());
        }
        if !model.facts.is_empty() {
            modules.push("facts".to_owned());
        }
        if !model.workflows.is_empty() {
            modules.push("workflows".to_owned());
        }
        modules.sort();
        let write_postgres = model.stores.write == WriteStore::Postgres;
        let read_postgres = model.stores.read == ReadStore::Postgres;
        let read_cassandra = model.stores.read == ReadStore::Cassandra;
        let mut sqlite = Vec::new();
        let mut postgres = Vec::new();
        let (write, write_store) = if write_postgres {
            (&mut postgres, "PostgresEventStore")
        } else {
            (&mut sqlite, "SqliteEventStore")
        };
        write.push(write_store.to_owned());
        if read_postgres {
            postgres.push("PostgresReadStore".to_owned());
        } else if !read_cassandra {
            sqlite.push("SqliteReadStore".to_owned());
        }
        let mut store_uses = Vec::new();
        if read_cassandra {
            store_uses.push(
                "use eventwright::store::cassandra::{self, CassandraConfig, CassandraReadStore, ScratchKeyspace};"
                    .to_owned(),
            );
        }
        if !postgres.is_empty() {
            postgres.extend([
                "self".to_owned(),
                "Retry".to_owned(),
                "ScratchSchema".to_owned(),
            ]);
            store_uses.extend(use_line("eventwright::store::postgres", &postgres));
        }
        if !sqlite.is_empty() {
            sqlite.push("self".to_owned());
            store_uses.extend(use_line("eventwright::store::sqlite", &sqlite));
        }
        Self {
            model,
            modules,
            store_uses,
            write_postgres,
            read_postgres,
            read_cassandra,
            kafka: model.stores.broker == Broker::Kafka,
            workflows: !model.workflows.is_empty(),
            test_stores: test_stores(model),
            cassandra_test_env: format!("{}_TEST_CASSANDRA_NODES", shouty(&model.service)),
            test_env: format!("{}_TEST_POSTGRES_URL", shouty(&model.service)),
            personal: Personal::of(model),
            tenancy: model.tenancy.as_ref(),
            tenant_stores: tenant_stores(model),
        }
    }
}

/// Where `Config::for_tenant` puts a tenant's stores, when their URLs do not say.
pub(super) fn tenant_stores(model: &Model) -> String {
    let file = |side: &str, file: &str| {
        format!("{side} in a file beside the URL's (`{file}.db` → `{file}.<tenant>.db`)")
    };
    let schema = |side: &str| {
        format!(
            "{side} in the schema `tenant_<tenant>` of the URL's database, created when missing"
        )
    };
    let write = match model.stores.write {
        WriteStore::Sqlite => file("events", "events"),
        WriteStore::Postgres => schema("events"),
    };
    let read = match model.stores.read {
        ReadStore::Sqlite => file("read models", "views"),
        ReadStore::Postgres => schema("read models"),
        ReadStore::Cassandra => "read models in the keyspace `<keyspace>_<tenant>`".to_owned(),
    };
    format!("{write}; {read} (hyphens in a tenant's name become underscores)")
}

/// What `Config::for_tests` gives the two sides.
fn test_stores(model: &Model) -> String {
    let env = shouty(&model.service);
    let side = |name: &str, postgres: bool, cassandra: bool| {
        if postgres {
            format!(
                "{name} in a fresh schema, dropped when the test is done, on the server named \
                 by `{env}_TEST_POSTGRES_URL`"
            )
        } else if cassandra {
            format!("{name} in a fresh keyspace on the nodes named by `{env}_TEST_CASSANDRA_NODES`")
        } else {
            format!("{name} in memory (SQLite)")
        }
    };
    format!(
        "{}; {}",
        side("events", model.stores.write == WriteStore::Postgres, false),
        side(
            "read models",
            model.stores.read == ReadStore::Postgres,
            model.stores.read == ReadStore::Cassandra
        )
    )
}
