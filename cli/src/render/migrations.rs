//! `migrations/postgres/`: the DDL the PostgreSQL stores run at startup, as SQL files a DBA can
//! review or apply ahead of the first start.

use askama::Template;

use super::compose::Servers;
use super::names::snake;
use crate::model::ir::{Model, Projection, Type};

/// One SQL file of `migrations/postgres/`.
pub struct Migration<'a> {
    pub path: String,
    /// What it creates, for the README.
    pub what: String,
    pub sql: Sql<'a>,
}

pub enum Sql<'a> {
    Events,
    Snapshots,
    States,
    RelayCheckpoints,
    TraceContext,
    Checkpoints,
    Applied,
    Projection(&'a Projection),
}

/// The SQL files for the sides of the stack on PostgreSQL, in the order to apply them: the
/// checkpoint tables first, then one file per projection in the model's order.
pub fn migrations(model: &Model) -> Vec<Migration<'_>> {
    let servers = Servers::of(model);
    let mut files = Vec::new();
    if servers.write {
        files.push(Migration {
            path: "migrations/postgres/write/0001_events.sql".to_owned(),
            what: "the event log (`eventwright_events`)".to_owned(),
            sql: Sql::Events,
        });
        files.push(Migration {
            path: "migrations/postgres/write/0002_snapshots.sql".to_owned(),
            what: "each aggregate's newest snapshot (`eventwright_snapshots`)".to_owned(),
            sql: Sql::Snapshots,
        });
        files.push(Migration {
            path: "migrations/postgres/write/0003_states.sql".to_owned(),
            what: "each state-stored aggregate's current state (`eventwright_states`)".to_owned(),
            sql: Sql::States,
        });
        files.push(Migration {
            path: "migrations/postgres/write/0004_relay_checkpoints.sql".to_owned(),
            what: "how far each outbox relay has delivered (`eventwright_relay_checkpoints`)"
                .to_owned(),
            sql: Sql::RelayCheckpoints,
        });
        files.push(Migration {
            path: "migrations/postgres/write/0005_trace_context.sql".to_owned(),
            what: "the trace each event was recorded in (`eventwright_events.traceparent`)"
                .to_owned(),
            sql: Sql::TraceContext,
        });
    }
    if servers.read {
        files.push(Migration {
            path: "migrations/postgres/read/0001_checkpoints.sql".to_owned(),
            what: "how far each projection has read, and its active generation \
                   (`eventwright_checkpoints`, `eventwright_generations`)"
                .to_owned(),
            sql: Sql::Checkpoints,
        });
        files.push(Migration {
            path: "migrations/postgres/read/0002_applied.sql".to_owned(),
            what: "the last sequence each projection applied per aggregate (`eventwright_applied`)"
                .to_owned(),
            sql: Sql::Applied,
        });
        for (index, projection) in model.projections.iter().enumerate() {
            let table = table(projection);
            files.push(Migration {
                path: format!("migrations/postgres/read/{:04}_{table}.sql", index + 3),
                what: format!("the {} read model (`{table}`)", projection.name),
                sql: Sql::Projection(projection),
            });
        }
    }
    files
}

impl Sql<'_> {
    pub fn render(&self, model: &Model) -> Result<String, askama::Error> {
        match self {
            Sql::Events => EventsSql {
                service: &model.service,
            }
            .render(),
            Sql::Snapshots => SnapshotsSql.render(),
            Sql::States => StatesSql.render(),
            Sql::RelayCheckpoints => RelayCheckpointsSql.render(),
            Sql::TraceContext => TraceContextSql.render(),
            Sql::Checkpoints => CheckpointsSql.render(),
            Sql::Applied => AppliedSql.render(),
            Sql::Projection(projection) => ProjectionSql::new(model, projection).render(),
        }
    }
}

#[derive(Template)]
#[template(path = "migrations/postgres/write/0001_events.sql")]
struct EventsSql<'a> {
    service: &'a str,
}

#[derive(Template)]
#[template(path = "migrations/postgres/write/0002_snapshots.sql")]
struct SnapshotsSql;

#[derive(Template)]
#[template(path = "migrations/postgres/write/0003_states.sql")]
struct StatesSql;

#[derive(Template)]
#[template(path = "migrations/postgres/write/0004_relay_checkpoints.sql")]
struct RelayCheckpointsSql;

#[derive(Template)]
#[template(path = "migrations/postgres/write/0005_trace_context.sql")]
struct TraceContextSql;

#[derive(Template)]
#[template(path = "migrations/postgres/read/checkpoints.sql")]
struct CheckpointsSql;

#[derive(Template)]
#[template(path = "migrations/postgres/read/applied.sql")]
struct AppliedSql;

/// One projection's table and indexes, as `PostgresReadStore::prepare` creates them from the
/// schema that `#[derive(Projection)]` derives from the same fields.
#[derive(Template)]
#[template(path = "migrations/postgres/read/projection.sql")]
struct ProjectionSql<'a> {
    service: &'a str,
    name: &'a str,
    key: &'a str,
    table: String,
    /// `"name" TYPE constraint`, the types aligned.
    columns: Vec<String>,
    /// `CREATE INDEX ...` without the semicolon.
    indexes: Vec<String>,
}

impl<'a> ProjectionSql<'a> {
    fn new(model: &'a Model, projection: &'a Projection) -> Self {
        let table_name = table(projection);
        let width = projection
            .fields
            .iter()
            .map(|field| quote(&field.name).len())
            .max()
            .unwrap_or(0);
        let columns = projection
            .fields
            .iter()
            .map(|field| {
                let (ty, nullable) = column_type(&field.ty);
                let constraint = if field.name == projection.key.name {
                    " PRIMARY KEY"
                } else if nullable {
                    ""
                } else {
                    " NOT NULL"
                };
                format!("{:<width$} {ty}{constraint}", quote(&field.name))
            })
            .collect();
        // In field order, as the derive lists them.
        let indexes = projection
            .fields
            .iter()
            .filter(|field| projection.indexed.contains(&field.name))
            .map(|field| {
                format!(
                    "CREATE INDEX IF NOT EXISTS {}\n    ON {} ({}, {})",
                    quote(&format!("{table_name}_by_{}", field.name)),
                    quote(&table_name),
                    quote(&field.name),
                    quote(&projection.key.name),
                )
            })
            .collect();
        Self {
            service: &model.service,
            name: &projection.name,
            key: &projection.key.name,
            table: quote(&table_name),
            columns,
            indexes,
        }
    }
}

/// The table `#[derive(Projection)]` names: the struct's name in snake_case.
fn table(projection: &Projection) -> String {
    snake(&projection.name)
}

/// The column type of a field, and whether it may be NULL: the Rust type the field gets, its
/// `eventwright::Column` type, and the PostgreSQL read store's `sql_type` for that, in one step.
fn column_type(ty: &Type) -> (&'static str, bool) {
    let sql = match ty {
        Type::Optional(inner) => return (column_type(inner).0, true),
        Type::String | Type::Enum(_) => "TEXT",
        Type::Bool => "BOOLEAN",
        Type::Int => "BIGINT",
        Type::Float => "DOUBLE PRECISION",
        Type::Decimal => "NUMERIC",
        Type::Uuid => "UUID",
        Type::Timestamp => "TIMESTAMPTZ",
        Type::Date => "DATE",
        Type::Value(_) | Type::List(_) => "JSONB",
    };
    (sql, false)
}

/// Quoted as the read store quotes identifiers, so the names are exactly the runtime's.
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordering() -> Model {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ordering.yaml");
        crate::model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"))
    }

    #[test]
    fn column_types_follow_the_read_store() {
        let model = ordering();
        let summary = &model.projections[0];
        let sql = ProjectionSql::new(&model, summary).render().unwrap();
        for column in [
            "\"order_id\"    UUID PRIMARY KEY",
            "\"customer_id\" UUID NOT NULL",
            "\"status\"      TEXT NOT NULL",
            "\"lines\"       JSONB NOT NULL",
        ] {
            assert!(sql.contains(column), "{column} in\n{sql}");
        }
        assert_eq!(
            column_type(&Type::Optional(Box::new(Type::Decimal))),
            ("NUMERIC", true)
        );
    }
}
