//! CQL text of the statements the Cassandra read store runs, built from a projection's schema.
//!
//! Each projection has a main table keyed by the row key, serving gets and holding the
//! bookkeeping that makes applying idempotent, and one table per listed field, partitioned by
//! that field and clustered by the row key, serving that list in key order. A row is written
//! to all of them.

use crate::schema::TableSchema;
use crate::store::sql::quote;

use super::values::cql_type;

/// The main table's bookkeeping columns, after the projection's own.
pub(super) const META: [(&str, &str); 4] = [
    // Bumped by every write: the compare-and-set that makes writers of one row take turns,
    // and the write time of the list tables' rows, so an older write never wins there.
    ("eventwright_version", "bigint"),
    // The last sequence applied per aggregate ("type/id"): what makes redelivery change nothing.
    ("eventwright_applied", "map<text, bigint>"),
    // The listed fields' values before the last write (JSON), so the list-table rows they
    // keyed can be removed again, even after a crash between the two writes.
    ("eventwright_previous", "map<text, text>"),
    // A deleted row keeps its marks: a redelivered event must not bring it back.
    ("eventwright_deleted", "boolean"),
];

fn table(keyspace: &str, name: &str) -> String {
    format!("{}.{}", quote(keyspace), quote(name))
}

pub(super) fn list_table_name(schema: &TableSchema, field: &str) -> String {
    format!("{}_by_{field}", schema.name)
}

fn data_columns(schema: &TableSchema) -> String {
    schema
        .columns
        .iter()
        .map(|column| quote(column.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn column_defs(schema: &TableSchema) -> Vec<String> {
    schema
        .columns
        .iter()
        .map(|column| format!("{} {}", quote(column.name), cql_type(column.ty)))
        .collect()
}

/// `CREATE TABLE` for the main table, the progress table and each list table.
pub(super) fn create_tables(keyspace: &str, schema: &TableSchema) -> Vec<String> {
    let mut main = column_defs(schema);
    main.extend(META.iter().map(|(name, ty)| format!("{name} {ty}")));
    let mut statements = vec![format!(
        "CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({}))",
        table(keyspace, schema.name),
        main.join(", "),
        quote(schema.key)
    )];
    statements.push(format!(
        "CREATE TABLE IF NOT EXISTS {} (aggregate text PRIMARY KEY, sequence bigint)",
        table(keyspace, &progress_table_name(schema))
    ));
    for field in schema.indexed {
        statements.push(format!(
            "CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY (({}), {})) \
             WITH CLUSTERING ORDER BY ({} ASC)",
            table(keyspace, &list_table_name(schema, field)),
            column_defs(schema).join(", "),
            quote(field),
            quote(schema.key),
            quote(schema.key),
        ));
    }
    statements
}

pub(super) fn create_checkpoints(keyspace: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (projection text PRIMARY KEY, transaction_id bigint, \
         position bigint)",
        table(keyspace, "eventwright_checkpoints")
    )
}

/// Where a projection fed per aggregate stands in each aggregate's events, beside its table, so
/// it goes when the table goes.
pub(super) fn progress_table_name(schema: &TableSchema) -> String {
    format!("{}_progress", schema.name)
}

pub(super) fn select_progress(keyspace: &str, schema: &TableSchema) -> String {
    format!(
        "SELECT sequence FROM {} WHERE aggregate = ?",
        table(keyspace, &progress_table_name(schema))
    )
}

/// The sequence is also the write's timestamp: of two writes, the later sequence wins, whatever
/// order they arrive in.
pub(super) fn save_progress(keyspace: &str, schema: &TableSchema) -> String {
    format!(
        "UPDATE {} USING TIMESTAMP ? SET sequence = ? WHERE aggregate = ?",
        table(keyspace, &progress_table_name(schema))
    )
}

pub(super) fn create_generations(keyspace: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (projection text PRIMARY KEY, generation bigint)",
        table(keyspace, "eventwright_generations")
    )
}

pub(super) fn select_generation(keyspace: &str) -> String {
    format!(
        "SELECT generation FROM {} WHERE projection = ?",
        table(keyspace, "eventwright_generations")
    )
}

/// Written with the generation as its timestamp, so it never moves backwards.
pub(super) fn activate_generation(keyspace: &str) -> String {
    format!(
        "UPDATE {} USING TIMESTAMP ? SET generation = ? WHERE projection = ?",
        table(keyspace, "eventwright_generations")
    )
}

pub(super) fn delete_checkpoint(keyspace: &str) -> String {
    format!(
        "DELETE FROM {} WHERE projection = ?",
        table(keyspace, "eventwright_checkpoints")
    )
}

/// `DROP TABLE` for the main table, each list table and the progress table.
pub(super) fn drop_tables(keyspace: &str, schema: &TableSchema) -> Vec<String> {
    let mut names = vec![schema.name.to_owned(), progress_table_name(schema)];
    names.extend(
        schema
            .indexed
            .iter()
            .map(|field| list_table_name(schema, field)),
    );
    names
        .iter()
        .map(|name| format!("DROP TABLE IF EXISTS {}", table(keyspace, name)))
        .collect()
}

pub(super) fn select_checkpoint(keyspace: &str) -> String {
    format!(
        "SELECT transaction_id, position FROM {} WHERE projection = ?",
        table(keyspace, "eventwright_checkpoints")
    )
}

pub(super) fn save_checkpoint(keyspace: &str) -> String {
    format!(
        "UPDATE {} SET transaction_id = ?, position = ? WHERE projection = ?",
        table(keyspace, "eventwright_checkpoints")
    )
}

/// The data columns, then the bookkeeping ones in [`META`] order.
pub(super) fn select_row(keyspace: &str, schema: &TableSchema) -> String {
    let meta: Vec<&str> = META.iter().map(|(name, _)| *name).collect();
    format!(
        "SELECT {}, {} FROM {} WHERE {} = ?",
        data_columns(schema),
        meta.join(", "),
        table(keyspace, schema.name),
        quote(schema.key)
    )
}

/// Parameters: the data columns, version, applied (a map), previous (a map), deleted.
pub(super) fn insert_if_absent(keyspace: &str, schema: &TableSchema) -> String {
    let meta: Vec<&str> = META.iter().map(|(name, _)| *name).collect();
    let marks = vec!["?"; schema.columns.len() + META.len()];
    format!(
        "INSERT INTO {} ({}, {}) VALUES ({}) IF NOT EXISTS",
        table(keyspace, schema.name),
        data_columns(schema),
        meta.join(", "),
        marks.join(", ")
    )
}

/// Parameters: the non-key data columns, the new version, the applied key and sequence,
/// previous, deleted, the row key, and the version it must still have.
pub(super) fn update_if_version(keyspace: &str, schema: &TableSchema) -> String {
    let mut sets: Vec<String> = schema
        .columns
        .iter()
        .filter(|column| column.name != schema.key)
        .map(|column| format!("{} = ?", quote(column.name)))
        .collect();
    sets.extend([
        "eventwright_version = ?".to_owned(),
        "eventwright_applied[?] = ?".to_owned(),
        "eventwright_previous = ?".to_owned(),
        "eventwright_deleted = ?".to_owned(),
    ]);
    format!(
        "UPDATE {} SET {} WHERE {} = ? IF eventwright_version = ?",
        table(keyspace, schema.name),
        sets.join(", "),
        quote(schema.key)
    )
}

/// Parameters: the data columns, then the write time.
pub(super) fn insert_listed(keyspace: &str, schema: &TableSchema, field: &str) -> String {
    let marks = vec!["?"; schema.columns.len()];
    format!(
        "INSERT INTO {} ({}) VALUES ({}) USING TIMESTAMP ?",
        table(keyspace, &list_table_name(schema, field)),
        data_columns(schema),
        marks.join(", ")
    )
}

/// Parameters: the write time, the field's value, the row key.
pub(super) fn delete_listed(keyspace: &str, schema: &TableSchema, field: &str) -> String {
    format!(
        "DELETE FROM {} USING TIMESTAMP ? WHERE {} = ? AND {} = ?",
        table(keyspace, &list_table_name(schema, field)),
        quote(field),
        quote(schema.key)
    )
}

/// Parameters: the field's value, the key to start after (with `after_key`), the limit.
pub(super) fn list(keyspace: &str, schema: &TableSchema, field: &str, after_key: bool) -> String {
    let after = if after_key {
        format!(" AND {} > ?", quote(schema.key))
    } else {
        String::new()
    };
    format!(
        "SELECT {} FROM {} WHERE {} = ?{after} LIMIT ?",
        data_columns(schema),
        table(keyspace, &list_table_name(schema, field)),
        quote(field),
    )
}
