//! The text of every statement the Cassandra read store runs: the tables' DDL is
//! `eventwright-tables`' business (`eventwright_tables::cql`), reading and writing them is this
//! module's.

use eventwright_tables::cql::{META, progress_table_name, table};
use eventwright_tables::sql::{entry_term, quote};

use crate::table::{Index, TableSchema};

fn data_columns(schema: &TableSchema<'_>) -> String {
    schema
        .columns
        .iter()
        .map(|column| quote(column.name))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn select_progress(keyspace: &str, schema: &TableSchema<'_>) -> String {
    format!(
        "SELECT sequence FROM {} WHERE aggregate = ?",
        table(keyspace, &progress_table_name(schema))
    )
}

/// The sequence is also the write's timestamp: of two writes, the later sequence wins, whatever
/// order they arrive in.
pub(super) fn save_progress(keyspace: &str, schema: &TableSchema<'_>) -> String {
    format!(
        "UPDATE {} USING TIMESTAMP ? SET sequence = ? WHERE aggregate = ?",
        table(keyspace, &progress_table_name(schema))
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

/// `DROP TABLE` for every table of a projection.
pub(super) fn drop_tables(keyspace: &str, schema: &TableSchema<'_>) -> Vec<String> {
    eventwright_tables::cql::projection_table_names(schema)
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
pub(super) fn select_row(keyspace: &str, schema: &TableSchema<'_>) -> String {
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
pub(super) fn insert_if_absent(keyspace: &str, schema: &TableSchema<'_>) -> String {
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

/// Parameters: the non-key data columns, the new version, the marks to add to applied (a map),
/// previous, deleted, the row key, and the version it must still have.
pub(super) fn update_if_version(keyspace: &str, schema: &TableSchema<'_>) -> String {
    let mut sets: Vec<String> = schema
        .columns
        .iter()
        .filter(|column| column.name != schema.key)
        .map(|column| format!("{} = ?", quote(column.name)))
        .collect();
    sets.extend([
        "eventwright_version = ?".to_owned(),
        "eventwright_applied = eventwright_applied + ?".to_owned(),
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

/// Parameters: the data columns, the terms' JSON text (for an index that reaches inside a
/// column), then the write time.
pub(super) fn insert_listed(keyspace: &str, schema: &TableSchema<'_>, index: &Index<'_>) -> String {
    let mut columns = data_columns(schema);
    let mut count = schema.columns.len();
    if index.is_expanded() {
        for n in 0..index.equal.len() {
            columns.push_str(&format!(", {}", quote(&entry_term(n))));
        }
        count += index.equal.len();
    }
    format!(
        "INSERT INTO {} ({columns}) VALUES ({}) USING TIMESTAMP ?",
        table(keyspace, &index.name(schema.name)),
        vec!["?"; count].join(", ")
    )
}

/// The columns that place a row in an index table, but for its key: the terms (as JSON text
/// for an index that reaches inside a column), then the order column.
fn place_columns(index: &Index<'_>) -> Vec<String> {
    let mut columns: Vec<String> = if index.is_expanded() {
        (0..index.equal.len()).map(entry_term).collect()
    } else {
        index.equal.iter().map(|term| (*term).to_owned()).collect()
    };
    columns.extend(index.order.map(str::to_owned));
    columns
}

/// Parameters: the write time, the place's values, the row key.
pub(super) fn delete_listed(keyspace: &str, schema: &TableSchema<'_>, index: &Index<'_>) -> String {
    let conditions: Vec<String> = place_columns(index)
        .iter()
        .map(String::as_str)
        .chain([schema.key])
        .map(|column| format!("{} = ?", quote(column)))
        .collect();
    format!(
        "DELETE FROM {} USING TIMESTAMP ? WHERE {}",
        table(keyspace, &index.name(schema.name)),
        conditions.join(" AND ")
    )
}

/// The bounds of a page of an ordered index, as they are bound: the first row's and the last
/// row's (each the order column's value and, past a previous page, the key too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    None,
    /// `(order) >= (?)` or `(order) < (?)`.
    Order,
    /// `(order, key) > (?, ?)` or `(order, key) < (?, ?)`: past the previous page.
    Past,
}

/// One page of an index table. Parameters: the `equal` columns' values, then the lower bound's
/// and the upper bound's values (for an index with an order), or the key to start after (for
/// one without), then the limit. Cassandra takes one bound of each side, so the caller gives
/// the tighter: a page of the same find, past the previous one, stays in its range.
pub(super) fn find(
    keyspace: &str,
    schema: &TableSchema<'_>,
    index: &Index<'_>,
    (lower, upper): (Bound, Bound),
    after_key: bool,
    descending: bool,
) -> String {
    let key = quote(schema.key);
    let terms = place_columns(index);
    let mut conditions: Vec<String> = terms[..index.equal.len()]
        .iter()
        .map(|column| format!("{} = ?", quote(column)))
        .collect();
    match index.order.map(quote) {
        Some(order) => {
            for (bound, single, past) in [(lower, ">=", ">"), (upper, "<", "<")] {
                conditions.extend(match bound {
                    Bound::None => None,
                    Bound::Order => Some(format!("({order}) {single} (?)")),
                    Bound::Past => Some(format!("({order}, {key}) {past} (?, ?)")),
                });
            }
        }
        None if after_key => {
            conditions.push(format!("{key} {} ?", if descending { "<" } else { ">" }))
        }
        None => {}
    }
    let sort = if descending {
        let columns: Vec<String> = index
            .order
            .map(quote)
            .into_iter()
            .chain([key.clone()])
            .map(|column| format!("{column} DESC"))
            .collect();
        format!(" ORDER BY {}", columns.join(", "))
    } else {
        String::new()
    };
    format!(
        "SELECT {} FROM {} WHERE {}{sort} LIMIT ?",
        data_columns(schema),
        table(keyspace, &index.name(schema.name)),
        conditions.join(" AND "),
    )
}

/// A page of the main table in token order, with each row's deletion mark last. Parameters:
/// the key to start after (with `after_key`), the limit.
pub(super) fn list_all(keyspace: &str, schema: &TableSchema<'_>, after_key: bool) -> String {
    let key = quote(schema.key);
    let after = if after_key {
        format!(" WHERE token({key}) > token(?)")
    } else {
        String::new()
    };
    format!(
        "SELECT {}, eventwright_deleted FROM {}{after} LIMIT ?",
        data_columns(schema),
        table(keyspace, schema.name),
    )
}

/// The distinct values of a one-column index's partition key, in token order, after the value
/// in parameter 1 when `after`; the last parameter is the limit.
pub(super) fn distinct_groups(
    keyspace: &str,
    schema: &TableSchema<'_>,
    index: &Index<'_>,
    after: bool,
) -> String {
    let column = quote(index.equal.first().copied().unwrap_or_default());
    let filter = if after {
        format!(" WHERE token({column}) > token(?)")
    } else {
        String::new()
    };
    format!(
        "SELECT DISTINCT {column} FROM {}{filter} LIMIT ?",
        table(keyspace, &index.name(schema.name))
    )
}
