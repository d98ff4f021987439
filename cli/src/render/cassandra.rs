//! The CQL files of a stack whose read store is Cassandra: the keyspace, the checkpoints, and
//! each projection's tables, as `CassandraReadStore::prepare` creates them, for review or to
//! create them ahead of the first start.

use askama::Template;

use super::names::snake;
use crate::model::ir::{Model, Projection, Type};

/// The service's keyspace on the local Cassandra of `docker-compose.yml`.
pub fn local_url(model: &Model) -> String {
    format!("cassandra://127.0.0.1:9042/{}", keyspace(model))
}

/// The keyspace the service's read models live in: its name in snake_case, which CQL accepts.
pub fn keyspace(model: &Model) -> String {
    snake(&model.service)
}

/// Each file of `migrations/cassandra/`, in the order to apply them, and what it creates.
pub fn migrations(model: &Model) -> Result<Vec<(String, String, String)>, askama::Error> {
    let keyspace = keyspace(model);
    let mut files = vec![
        (
            "migrations/cassandra/0001_keyspace.cql".to_owned(),
            format!("the keyspace (`{keyspace}`)"),
            KeyspaceCql {
                service: &model.service,
                keyspace: &keyspace,
            }
            .render()?,
        ),
        (
            "migrations/cassandra/0002_checkpoints.cql".to_owned(),
            "how far each projection has read, and its active generation (`eventwright_checkpoints`, `eventwright_generations`)"
                .to_owned(),
            CheckpointsCql {
                keyspace: &keyspace,
            }
            .render()?,
        ),
    ];
    for (index, projection) in model.projections.iter().enumerate() {
        let view = ProjectionCql::new(model, projection, &keyspace);
        files.push((
            format!("migrations/cassandra/{:04}_{}.cql", index + 3, view.table),
            format!("the {} read model (`{}`)", projection.name, view.table),
            view.render()?,
        ));
    }
    Ok(files)
}

#[derive(Template)]
#[template(path = "migrations/cassandra/keyspace.cql")]
struct KeyspaceCql<'a> {
    service: &'a str,
    keyspace: &'a str,
}

#[derive(Template)]
#[template(path = "migrations/cassandra/checkpoints.cql")]
struct CheckpointsCql<'a> {
    keyspace: &'a str,
}

#[derive(Template)]
#[template(path = "migrations/cassandra/projection.cql")]
struct ProjectionCql<'a> {
    service: &'a str,
    keyspace: &'a str,
    name: &'a str,
    key: &'a str,
    table: String,
    /// `"name" type`, aligned: the projection's fields, then the bookkeeping.
    main_columns: Vec<String>,
    /// The projection's fields, for the list tables.
    columns: Vec<String>,
    /// Each list table and the field it is partitioned by.
    lists: Vec<(String, String)>,
}

/// The bookkeeping columns of a main table, as the read store declares them.
const META: [(&str, &str); 4] = [
    ("eventwright_version", "bigint"),
    ("eventwright_applied", "map<text, bigint>"),
    ("eventwright_previous", "map<text, text>"),
    ("eventwright_deleted", "boolean"),
];

impl<'a> ProjectionCql<'a> {
    fn new(model: &'a Model, projection: &'a Projection, keyspace: &'a str) -> Self {
        let table = snake(&projection.name);
        let fields: Vec<(String, &str)> = projection
            .fields
            .iter()
            .map(|field| (format!("\"{}\"", field.name), cql_type(&field.ty)))
            .collect();
        let aligned = |columns: &[(String, &str)]| -> Vec<String> {
            let width = columns
                .iter()
                .map(|(name, _)| name.len())
                .max()
                .unwrap_or(0);
            columns
                .iter()
                .map(|(name, ty)| format!("{name:<width$} {ty}"))
                .collect()
        };
        let mut main: Vec<(String, &str)> = fields.clone();
        main.extend(META.iter().map(|(name, ty)| ((*name).to_owned(), *ty)));
        // In field order, as the derive lists them.
        let lists = projection
            .fields
            .iter()
            .filter(|field| projection.indexed.contains(&field.name))
            .map(|field| (format!("{table}_by_{}", field.name), field.name.clone()))
            .collect();
        Self {
            service: &model.service,
            keyspace,
            name: &projection.name,
            key: &projection.key.name,
            main_columns: aligned(&main),
            columns: aligned(&fields),
            table,
            lists,
        }
    }
}

/// The CQL type of a field: its Rust type's `eventwright::Column` type, as the Cassandra read
/// store types that. Decimals and timestamps are text, which keeps them exact.
fn cql_type(ty: &Type) -> &'static str {
    match ty {
        Type::Optional(inner) => cql_type(inner),
        Type::String | Type::Enum(_) | Type::Decimal | Type::Timestamp => "text",
        Type::Bool => "boolean",
        Type::Int => "bigint",
        Type::Float => "double",
        Type::Uuid => "uuid",
        Type::Date => "date",
        Type::Value(_) | Type::List(_) => "text",
    }
}
