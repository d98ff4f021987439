//! SQL text shared by the SQL adapters. They differ in placeholders (`?` or `$1`) and column
//! types; the statements are the same.

// Built with Cassandra as the only store, the crate uses only the quoting and number conversions
// here.
#![cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]

use crate::event::{EventEnvelope, NewEvent};
use crate::schema::{ColumnType, TableSchema};
use crate::store::{Cursor, EventStore, StoreError};

/// Each group's result of an append, or an error of the whole transaction.
pub(crate) type GroupResults = Result<Vec<Result<Vec<EventEnvelope>, StoreError>>, StoreError>;

/// [`EventStore::append_many`] for a store that commits several groups in one transaction with
/// `append_groups`: one group alone is a plain [`EventStore::append`], and an error of the
/// transaction itself is every group's.
pub(crate) async fn append_many<S, F, Groups>(
    store: &S,
    groups: Vec<Vec<NewEvent>>,
    append_groups: F,
) -> Vec<Result<Vec<EventEnvelope>, StoreError>>
where
    S: EventStore,
    F: FnOnce(Vec<Vec<NewEvent>>) -> Groups,
    Groups: Future<Output = GroupResults>,
{
    if let [_] = groups.as_slice() {
        let group = groups.into_iter().next().expect("one group");
        return vec![store.append(group).await];
    }
    let count = groups.len();
    match append_groups(groups).await {
        Ok(results) => results,
        Err(error) => (0..count).map(|_| Err(error.duplicate())).collect(),
    }
}

/// What makes one SQL database's statements differ from another's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dialect {
    /// The placeholder for the `n`th parameter, counting from 1.
    pub placeholder: fn(usize) -> String,
    pub column_type: fn(ColumnType) -> &'static str,
}

/// `"name"`, with embedded quotes doubled.
pub(crate) fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The projection's table, the key as primary key.
pub(crate) fn create_table(dialect: Dialect, schema: &TableSchema) -> String {
    let columns: Vec<String> = schema
        .columns
        .iter()
        .map(|column| {
            let constraint = if column.name == schema.key {
                " PRIMARY KEY"
            } else if column.nullable {
                ""
            } else {
                " NOT NULL"
            };
            format!(
                "{} {}{constraint}",
                quote(column.name),
                (dialect.column_type)(column.ty)
            )
        })
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {} ({})",
        quote(schema.name),
        columns.join(", ")
    )
}

/// One index per listed field, ordered by (field, key) for keyset pagination.
pub(crate) fn create_indexes(schema: &TableSchema) -> Vec<String> {
    schema
        .indexed
        .iter()
        .map(|field| {
            format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({}, {})",
                quote(&format!("{}_by_{}", schema.name, field)),
                quote(schema.name),
                quote(field),
                quote(schema.key),
            )
        })
        .collect()
}

pub(crate) fn select_by_key(dialect: Dialect, schema: &TableSchema) -> String {
    let key = (dialect.placeholder)(1);
    format!(
        "SELECT * FROM {} WHERE {} = {key}",
        quote(schema.name),
        quote(schema.key)
    )
}

pub(crate) fn delete_by_key(dialect: Dialect, schema: &TableSchema) -> String {
    let key = (dialect.placeholder)(1);
    format!(
        "DELETE FROM {} WHERE {} = {key}",
        quote(schema.name),
        quote(schema.key)
    )
}

/// Inserts a row or replaces every non-key column; parameters are the columns in schema order.
pub(crate) fn upsert(dialect: Dialect, schema: &TableSchema) -> String {
    let names: Vec<String> = schema
        .columns
        .iter()
        .map(|column| quote(column.name))
        .collect();
    let placeholders: Vec<String> = (1..=names.len()).map(dialect.placeholder).collect();
    let updates: Vec<String> = schema
        .columns
        .iter()
        .filter(|column| column.name != schema.key)
        .map(|column| format!("{0} = excluded.{0}", quote(column.name)))
        .collect();
    let conflict = if updates.is_empty() {
        "DO NOTHING".to_owned()
    } else {
        format!("DO UPDATE SET {}", updates.join(", "))
    };
    format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) {conflict}",
        quote(schema.name),
        names.join(", "),
        placeholders.join(", "),
        quote(schema.key),
    )
}

/// Rows whose `field` equals parameter 1, after the key in parameter 2 when `after_key`, ordered
/// by key; the last parameter is the limit.
pub(crate) fn list(dialect: Dialect, schema: &TableSchema, field: &str, after_key: bool) -> String {
    let placeholder = dialect.placeholder;
    let (after, limit) = if after_key {
        (
            format!(" AND {} > {}", quote(schema.key), placeholder(2)),
            placeholder(3),
        )
    } else {
        (String::new(), placeholder(2))
    };
    format!(
        "SELECT * FROM {} WHERE {} = {}{after} ORDER BY {} LIMIT {limit}",
        quote(schema.name),
        quote(field),
        placeholder(1),
        quote(schema.key),
    )
}

/// Which generation of each projection is active.
pub(crate) const CREATE_GENERATIONS: &str = "CREATE TABLE IF NOT EXISTS eventwright_generations (
    projection TEXT PRIMARY KEY,
    generation BIGINT NOT NULL
)";

pub(crate) fn select_generation(dialect: Dialect) -> String {
    format!(
        "SELECT generation FROM eventwright_generations WHERE projection = {}",
        (dialect.placeholder)(1)
    )
}

/// Makes a generation active (parameters: projection, generation), never moving backwards.
pub(crate) fn activate_generation(dialect: Dialect) -> String {
    let p = dialect.placeholder;
    format!(
        "INSERT INTO eventwright_generations (projection, generation) VALUES ({}, {}) \
         ON CONFLICT (projection) DO UPDATE SET generation = excluded.generation \
         WHERE eventwright_generations.generation < excluded.generation",
        p(1),
        p(2)
    )
}

/// Moves a projection's checkpoint (parameters: projection, transaction, position), never
/// backwards.
pub(crate) fn save_checkpoint(dialect: Dialect) -> String {
    save_cursor(dialect, "eventwright_checkpoints", "projection")
}

/// What dropping a projection runs, each statement with the projection's name as its one
/// parameter except the first.
pub(crate) fn drop_projection(dialect: Dialect, schema: &TableSchema) -> [String; 3] {
    let p = (dialect.placeholder)(1);
    [
        format!("DROP TABLE IF EXISTS {}", quote(schema.name)),
        format!("DELETE FROM eventwright_checkpoints WHERE projection = {p}"),
        format!("DELETE FROM eventwright_applied WHERE projection = {p}"),
    ]
}

/// Moves a relay's checkpoint (parameters: relay, transaction, position), never backwards.
pub(crate) fn save_relay_checkpoint(dialect: Dialect) -> String {
    save_cursor(dialect, "eventwright_relay_checkpoints", "relay")
}

/// Moves the cursor kept in `table` under `reader` (parameters: reader, transaction,
/// position), never backwards.
fn save_cursor(dialect: Dialect, table: &str, reader: &str) -> String {
    let p = dialect.placeholder;
    format!(
        "INSERT INTO {table} ({reader}, transaction_id, position) \
         VALUES ({}, {}, {}) ON CONFLICT ({reader}) DO UPDATE \
         SET transaction_id = excluded.transaction_id, position = excluded.position \
         WHERE (excluded.transaction_id, excluded.position) \
         > ({table}.transaction_id, {table}.position)",
        p(1),
        p(2),
        p(3)
    )
}

pub(crate) fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("{value} does not fit a 64-bit SQL integer")))
}

pub(crate) fn to_u64(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("negative position or sequence {value}")))
}

/// A checkpoint row as a cursor; no row is the start of the log.
pub(crate) fn to_cursor(stored: Option<(i64, i64)>) -> Result<Cursor, StoreError> {
    match stored {
        None => Ok(Cursor::START),
        Some((transaction, position)) => Ok(Cursor {
            transaction: to_u64(transaction)?,
            position: to_u64(position)?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ColumnDef;

    const ROWS: TableSchema = TableSchema {
        name: "rows",
        key: "id",
        columns: &[
            ColumnDef {
                name: "id",
                ty: ColumnType::String,
                nullable: false,
            },
            ColumnDef {
                name: "n",
                ty: ColumnType::Int,
                nullable: true,
            },
        ],
        indexed: &["n"],
    };

    fn dollar(index: usize) -> String {
        format!("${index}")
    }

    const DOLLAR: Dialect = Dialect {
        placeholder: dollar,
        column_type: |_| "T",
    };

    #[test]
    fn statements_number_their_parameters() {
        assert_eq!(
            upsert(DOLLAR, &ROWS),
            "INSERT INTO \"rows\" (\"id\", \"n\") VALUES ($1, $2) ON CONFLICT (\"id\") DO UPDATE SET \"n\" = excluded.\"n\""
        );
        assert_eq!(
            list(DOLLAR, &ROWS, "n", true),
            "SELECT * FROM \"rows\" WHERE \"n\" = $1 AND \"id\" > $2 ORDER BY \"id\" LIMIT $3"
        );
        assert_eq!(
            create_table(DOLLAR, &ROWS),
            "CREATE TABLE IF NOT EXISTS \"rows\" (\"id\" T PRIMARY KEY, \"n\" T)"
        );
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
