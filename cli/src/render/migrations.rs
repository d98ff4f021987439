//! `migrations/postgres/` and `migrations/cassandra/`: the statements the stores run at startup,
//! as files a DBA can review or apply ahead of the first start.
//!
//! Nothing here writes SQL or CQL: every statement comes from `eventwright-tables`, the
//! definitions the runtime itself runs, and each projection's table is described from the
//! model exactly as `#[derive(Projection)]` describes it from the generated struct. What this
//! module adds is the files' names and headers.

use askama::Template;
use eventwright_tables::sql::{self, AddColumn, Dialect};
use eventwright_tables::{ColumnDef, Index, Migration, Step, TableSchema, cql};

use super::compose::{Servers, keyspace};
use super::names::snake;
use crate::model::ir::{Model, Projection};

/// One file of `migrations/`.
pub struct MigrationFile {
    pub path: String,
    /// What it creates, for the README.
    pub what: String,
    pub contents: String,
}

/// The migration files of the sides of the stack on PostgreSQL and Cassandra, each directory
/// in the order to apply them: the stores' own tables first, then one file per projection in
/// the model's order.
pub fn migrations(model: &Model) -> Result<Vec<MigrationFile>, askama::Error> {
    let servers = Servers::of(model);
    let mut files = Vec::new();
    if servers.write {
        for migration in sql::event_store(Dialect::Postgres) {
            files.push(store_file(
                model,
                "postgres/write",
                "PostgresEventStore",
                &migration,
            )?);
        }
    }
    if servers.read {
        let own = sql::read_store(Dialect::Postgres);
        for migration in &own {
            files.push(store_file(
                model,
                "postgres/read",
                "PostgresReadStore",
                migration,
            )?);
        }
        for (index, projection) in model.projections.iter().enumerate() {
            let table = snake(&projection.name);
            let statements = with_schema(projection, |schema| {
                sql::projection_table(Dialect::Postgres, schema)
            });
            let about = format!(
                "The {} read model: one row per {}. {} creates it at startup if it is missing \
                 (PostgresReadStore::prepare) and fills it from the events.",
                projection.name, projection.key.name, model.service
            );
            files.push(MigrationFile {
                path: format!(
                    "migrations/postgres/read/{:04}_{table}.sql",
                    own.len() + index + 1
                ),
                what: format!("the {} read model (`{table}`)", projection.name),
                contents: file(&about, &statements)?,
            });
        }
    }
    if servers.cassandra {
        files.extend(cassandra(model)?);
    }
    Ok(files)
}

fn cassandra(model: &Model) -> Result<Vec<MigrationFile>, askama::Error> {
    let keyspace = keyspace(model);
    let about = format!(
        "The keyspace of {}'s read models. The service creates it at startup if it is missing, \
         with one replica: enough for development. In production, create it yourself before the \
         first start, with the replication your cluster needs, e.g. {{'class': \
         'NetworkTopologyStrategy', 'dc1': 3}}, and the service uses it as it is.",
        model.service
    );
    let mut files = vec![MigrationFile {
        path: "migrations/cassandra/0001_keyspace.cql".to_owned(),
        what: format!("the keyspace (`{keyspace}`)"),
        contents: file(
            &about,
            &[cql::keyspace(&keyspace, cql::DEVELOPMENT_REPLICATION)],
        )?,
    }];
    for migration in cql::read_store(&keyspace) {
        files.push(MigrationFile {
            path: format!(
                "migrations/cassandra/{:04}_{}.cql",
                files.len() + 1,
                migration.name
            ),
            what: migration.summary.to_owned(),
            contents: file(migration.about, &cql_statements(&migration))?,
        });
    }
    for projection in &model.projections {
        let table = snake(&projection.name);
        let (lists, progress, statements) = with_schema(projection, |schema| {
            let lists: Vec<(String, String)> = schema
                .indexes
                .iter()
                .map(|index| {
                    let mut serves = format!("the list by {}", index.equal.join(" and "));
                    let mut order = String::new();
                    if let Some(field) = index.order {
                        order = format!("{field}, then ");
                        serves.push_str(&format!(" in {field} order"));
                    }
                    let what = format!(
                        "{serves}: one partition per value, rows in {order}{} order",
                        schema.key
                    );
                    (index.name(schema.name), what)
                })
                .collect();
            (
                lists,
                cql::progress_table_name(schema),
                cql::projection_tables(&keyspace, schema),
            )
        });
        let mut about = format!(
            "The {} read model. {} creates these tables at startup if they are missing \
             (CassandraReadStore::prepare) and fills them from the events. \"{table}\" serves \
             gets by {}, and keeps what makes applying idempotent without transactions: \
             eventwright_version (every write is a compare-and-set on it), eventwright_applied \
             (the last sequence applied per aggregate), eventwright_previous (the listed values \
             the last write replaced) and eventwright_deleted (a deleted row stays, its data \
             cleared, so a redelivered event cannot bring it back; skip rows where it is true). \
             \"{progress}\" holds, for each aggregate, the last sequence the projection has \
             handled when Kafka feeds it: what a query with a consistency token waits for.",
            projection.name, model.service, projection.key.name,
        );
        let mut what = format!("the {} read model (`{table}`)", projection.name);
        for (list, serves) in &lists {
            about.push_str(&format!(" \"{list}\" serves {serves}."));
            what.push_str(&format!("; `{list}` serves {serves}"));
        }
        files.push(MigrationFile {
            path: format!("migrations/cassandra/{:04}_{table}.cql", files.len() + 1),
            what,
            contents: file(&about, &statements)?,
        });
    }
    Ok(files)
}

/// A file for one of a store's own migrations, under `dir` of `migrations/`.
fn store_file(
    model: &Model,
    dir: &str,
    store: &str,
    migration: &Migration,
) -> Result<MigrationFile, askama::Error> {
    let about = format!(
        "{} {} runs this at startup ({store}::prepare); it is here for review, or to apply ahead \
         of time. Every statement is idempotent.",
        migration.about, model.service
    );
    Ok(MigrationFile {
        path: format!(
            "migrations/{dir}/{:04}_{}.sql",
            migration.version, migration.name
        ),
        what: migration.summary.to_owned(),
        contents: file(&about, &statements(Dialect::Postgres, migration))?,
    })
}

/// A migration's statements as a file holds them. A column added to an existing table is
/// written as the one statement PostgreSQL runs for it.
fn statements(dialect: Dialect, migration: &Migration) -> Vec<String> {
    migration
        .steps
        .iter()
        .map(|step| match step {
            Step::Sql(statement) => statement.clone(),
            Step::AddColumn { table, column, ty } => match dialect.add_column(table, column, ty) {
                AddColumn::Statement(statement) => statement,
                AddColumn::Unless { add, .. } => add,
            },
        })
        .collect()
}

/// A Cassandra migration's statements as a file holds them.
fn cql_statements(migration: &Migration) -> Vec<String> {
    migration
        .steps
        .iter()
        .map(|step| match step {
            Step::Sql(statement) => statement.clone(),
            Step::AddColumn { table, column, ty } => {
                format!("ALTER TABLE {table} ADD {column} {ty}")
            }
        })
        .collect()
}

/// Calls `f` with a projection's table as `#[derive(Projection)]` describes it: the struct's
/// name in snake_case, one column per field with its `eventwright::Column` type.
fn with_schema<R>(projection: &Projection, f: impl FnOnce(&TableSchema<'_>) -> R) -> R {
    let table = snake(&projection.name);
    let columns: Vec<ColumnDef<'_>> = projection
        .fields
        .iter()
        .map(|field| {
            let (ty, nullable) = field.ty.column_type();
            ColumnDef {
                name: &field.name,
                ty,
                nullable,
            }
        })
        .collect();
    let equals: Vec<Vec<&str>> = projection
        .indexes
        .iter()
        .map(|index| index.equal.iter().map(String::as_str).collect())
        .collect();
    let indexes: Vec<Index> = projection
        .indexes
        .iter()
        .zip(&equals)
        .map(|(index, equal)| Index {
            equal,
            order: index.order.as_deref(),
        })
        .collect();
    f(&TableSchema {
        name: &table,
        key: &projection.key.name,
        columns: &columns,
        indexes: &indexes,
        summaries: &[],
    })
}

/// A migration file: the generated header, `about` as comment lines, then each statement.
#[derive(Template)]
#[template(path = "migrations/migration.sql", escape = "none")]
struct MigrationSql<'a> {
    about: Vec<String>,
    statements: &'a [String],
}

fn file(about: &str, statements: &[String]) -> Result<String, askama::Error> {
    MigrationSql {
        about: wrap(about, 97),
        statements,
    }
    .render()
}

/// `text` in lines of at most `width` characters, broken between words.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ir::{Broker, ReadStore, Type, WriteStore};

    fn ordering() -> Model {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/ordering.yaml");
        crate::model::load(&path).unwrap_or_else(|diagnostics| panic!("{diagnostics}"))
    }

    #[test]
    fn projection_columns_take_the_types_the_derive_gives_their_fields() {
        let mut model = ordering();
        model.stores.read = ReadStore::Postgres;
        let files = migrations(&model).unwrap();
        let summary = files
            .iter()
            .find(|file| file.path == "migrations/postgres/read/0004_order_summary.sql")
            .expect("the first projection's file follows the store's own three");
        for column in [
            "\"order_id\"    UUID PRIMARY KEY",
            "\"customer_id\" UUID NOT NULL",
            "\"status\"      TEXT NOT NULL",
            "\"lines\"       JSONB NOT NULL",
        ] {
            assert!(
                summary.contents.contains(column),
                "{column} in\n{}",
                summary.contents
            );
        }
        assert_eq!(
            Type::Optional(Box::new(Type::Decimal)).column_type(),
            (eventwright_tables::ColumnType::Decimal, true)
        );
    }

    #[test]
    fn each_store_gets_the_files_of_its_own_migrations_in_order() {
        let mut model = ordering();
        model.stores = crate::model::ir::Stores {
            write: WriteStore::Postgres,
            read: ReadStore::Cassandra,
            broker: Broker::Inproc,
        };
        let paths: Vec<String> = migrations(&model)
            .unwrap()
            .into_iter()
            .map(|file| file.path)
            .collect();
        let expected: Vec<String> = sql::event_store(Dialect::Postgres)
            .iter()
            .map(|m| format!("migrations/postgres/write/{:04}_{}.sql", m.version, m.name))
            .chain([
                "migrations/cassandra/0001_keyspace.cql".to_owned(),
                "migrations/cassandra/0002_checkpoints.cql".to_owned(),
                "migrations/cassandra/0003_shapes.cql".to_owned(),
                "migrations/cassandra/0004_order_summary.cql".to_owned(),
                "migrations/cassandra/0005_order_history.cql".to_owned(),
            ])
            .collect();
        assert_eq!(paths, expected);
    }

    #[test]
    fn comments_wrap_between_words() {
        assert_eq!(wrap("aa bb  cc\ndd", 5), ["aa bb", "cc dd"]);
    }
}
