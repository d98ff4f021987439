//! The text of every statement the SQL stores run, in each [`Dialect`]: the tables' DDL is
//! `eventwright-tables`' business, reading and writing them is this module's.

use eventwright_tables::sql::{self, Dialect, quote};

use crate::store::Find;
use crate::table::{Index, TableSchema};

/// How a database reads the log in commit order; see [`Cursor`](crate::store::Cursor).
#[derive(Debug, Clone, Copy)]
pub struct LogOrder {
    /// An expression giving the id of the transaction that wrote the event, as text: `'0'`
    /// where transactions commit in position order.
    pub transaction: &'static str,
    /// The condition "after the cursor", its transaction as text in parameter 1 and its
    /// position in parameter 2 (either may go unused).
    pub after: &'static str,
    /// Only events that no later read can find something before, where that is not all of
    /// them.
    pub settled: Option<&'static str>,
    /// The `ORDER BY` of the log.
    pub order: &'static str,
}

/// The columns of an event, in the order [`super::backend::event_args`] binds them.
const EVENT_COLUMNS: &str = "event_id, aggregate_type, aggregate_id, sequence, event_type, \
                             event_version, timestamp, correlation_id, causation_id, \
                             traceparent, actor, payload";

/// Parameters 1 to `n`.
fn placeholders(dialect: Dialect, n: usize) -> String {
    (1..=n)
        .map(|n| dialect.placeholder(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One event (parameters: [`EVENT_COLUMNS`]), unless its (aggregate, sequence) is taken;
/// returns its position when inserted.
pub fn insert_event(dialect: Dialect) -> String {
    format!(
        "INSERT INTO eventwright_events ({EVENT_COLUMNS}) VALUES ({}) \
         ON CONFLICT (aggregate_type, aggregate_id, sequence) DO NOTHING RETURNING position",
        placeholders(dialect, 12)
    )
}

/// What a log read selects: the writing transaction as text, the position, the event.
fn log_columns(log: &LogOrder) -> String {
    format!(
        "{} AS log_transaction, position, {EVENT_COLUMNS}",
        log.transaction
    )
}

/// One aggregate's events after a sequence (parameters: type, id, sequence).
pub fn load(dialect: Dialect, log: &LogOrder) -> String {
    let p = |n| dialect.placeholder(n);
    format!(
        "SELECT {} FROM eventwright_events \
         WHERE aggregate_type = {} AND aggregate_id = {} AND sequence > {} ORDER BY sequence",
        log_columns(log),
        p(1),
        p(2),
        p(3)
    )
}

/// Where one event stands in the log (parameters: type, id, sequence).
pub fn cursor_of(dialect: Dialect, log: &LogOrder) -> String {
    let p = |n| dialect.placeholder(n);
    format!(
        "SELECT {} AS log_transaction, position FROM eventwright_events \
         WHERE aggregate_type = {} AND aggregate_id = {} AND sequence = {}",
        log.transaction,
        p(1),
        p(2),
        p(3)
    )
}

/// How many events follow a cursor (parameters: its transaction as text, its position).
pub fn count_after(log: &LogOrder) -> String {
    format!(
        "SELECT count(*) AS behind FROM eventwright_events WHERE {}",
        log.after
    )
}

/// Events after a cursor, in log order (parameters: its transaction as text, its position, the
/// limit).
pub fn read_all(dialect: Dialect, log: &LogOrder) -> String {
    let settled = log
        .settled
        .map(|settled| format!(" AND {settled}"))
        .unwrap_or_default();
    format!(
        "SELECT {} FROM eventwright_events WHERE {}{settled} ORDER BY {} LIMIT {}",
        log_columns(log),
        log.after,
        log.order,
        dialect.placeholder(3)
    )
}

/// The cursor of the last event the log can be read to.
pub fn head(log: &LogOrder) -> String {
    let settled = log
        .settled
        .map(|settled| format!(" WHERE {settled}"))
        .unwrap_or_default();
    last(log, &settled)
}

/// The cursor of the last event committed, settled or not.
pub fn last_committed(log: &LogOrder) -> String {
    last(log, "")
}

/// The cursor of the last event `filter` (a `WHERE` clause, or nothing) lets through.
fn last(log: &LogOrder, filter: &str) -> String {
    let descending = log
        .order
        .split(", ")
        .map(|column| format!("{column} DESC"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {} AS log_transaction, position FROM eventwright_events{filter} \
         ORDER BY {descending} LIMIT 1",
        log.transaction
    )
}

/// Removes one event again, before its transaction commits (parameter: its position).
pub fn delete_event(dialect: Dialect) -> String {
    format!(
        "DELETE FROM eventwright_events WHERE position = {}",
        dialect.placeholder(1)
    )
}

/// A snapshot's sequence and state (parameters: type, id).
pub fn select_snapshot(dialect: Dialect) -> String {
    select_kept_state(dialect, "eventwright_snapshots", "sequence")
}

/// A state-stored aggregate's version, as `sequence`, and state (parameters: type, id).
pub fn select_state(dialect: Dialect) -> String {
    select_kept_state(dialect, "eventwright_states", "version AS sequence")
}

/// One aggregate's row of `table`: `sequence` as selected, and `state`.
fn select_kept_state(dialect: Dialect, table: &str, sequence: &str) -> String {
    let p = |n| dialect.placeholder(n);
    format!(
        "SELECT {sequence}, state FROM {table} WHERE aggregate_type = {} AND aggregate_id = {}",
        p(1),
        p(2)
    )
}

/// Keeps a snapshot unless a later one is kept (parameters: type, id, sequence, state).
pub fn save_snapshot(dialect: Dialect) -> String {
    format!(
        "INSERT INTO eventwright_snapshots (aggregate_type, aggregate_id, sequence, state) \
         VALUES ({}) ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE \
         SET sequence = excluded.sequence, state = excluded.state \
         WHERE excluded.sequence > eventwright_snapshots.sequence",
        placeholders(dialect, 4)
    )
}

/// A new aggregate's state row, unless it has one (parameters: type, id, version, state).
pub fn insert_state(dialect: Dialect) -> String {
    format!(
        "INSERT INTO eventwright_states (aggregate_type, aggregate_id, version, state) \
         VALUES ({}) ON CONFLICT DO NOTHING",
        placeholders(dialect, 4)
    )
}

/// Moves a state row from the version in parameter 5 (parameters: type, id, new version,
/// state, expected version).
pub fn update_state(dialect: Dialect) -> String {
    let p = |n| dialect.placeholder(n);
    format!(
        "UPDATE eventwright_states SET version = {}, state = {} \
         WHERE aggregate_type = {} AND aggregate_id = {} AND version = {}",
        p(3),
        p(4),
        p(1),
        p(2),
        p(5)
    )
}

/// The sequence of an aggregate's last event, as `version`; 0 before its first (parameters:
/// type, id).
pub fn stream_version(dialect: Dialect) -> String {
    let p = |n| dialect.placeholder(n);
    format!(
        "SELECT COALESCE(MAX(sequence), 0) AS version FROM eventwright_events \
         WHERE aggregate_type = {} AND aggregate_id = {}",
        p(1),
        p(2)
    )
}

/// One tag of an event (parameters: tag, position, aggregate type, event type); a tag the
/// event already has is no error.
pub fn insert_tag(dialect: Dialect) -> String {
    format!(
        "INSERT INTO eventwright_event_tags (tag, position, aggregate_type, event_type) \
         VALUES ({}) ON CONFLICT (tag, position) DO NOTHING",
        placeholders(dialect, 4)
    )
}

/// The elements of a JSON array of strings bound to parameter 1, as a one-column set.
fn text_elements(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "SELECT value FROM json_each(?1)",
        Dialect::Postgres => "SELECT jsonb_array_elements_text($1)",
    }
}

/// Every event carrying any of some tags, once per tag it carries among them, with the
/// `tag`, in log position order (parameter: the tags, a JSON array).
pub fn tagged_events(dialect: Dialect, log: &LogOrder) -> String {
    let columns: Vec<String> = EVENT_COLUMNS
        .split(", ")
        .map(|column| format!("e.{}", column.trim()))
        .collect();
    format!(
        "SELECT {} AS log_transaction, e.position AS position, {}, t.tag AS tag \
         FROM eventwright_event_tags t JOIN eventwright_events e ON e.position = t.position \
         WHERE t.tag IN ({}) ORDER BY e.position",
        log.transaction,
        columns.join(", "),
        text_elements(dialect)
    )
}

/// What a query's check needs of every event carrying any of some tags: position, tag,
/// aggregate type and event type (parameter: the tags, a JSON array).
pub fn tags_in(dialect: Dialect) -> String {
    format!(
        "SELECT position, tag, aggregate_type, event_type FROM eventwright_event_tags \
         WHERE tag IN ({})",
        text_elements(dialect)
    )
}

/// Takes a value for an aggregate unless it is held already (parameters: scope, value, type,
/// id); changes no row when it is.
pub fn claim_unique(dialect: Dialect) -> String {
    format!(
        "INSERT INTO eventwright_unique_values (scope, value, aggregate_type, aggregate_id) \
         VALUES ({}) ON CONFLICT (scope, value) DO NOTHING",
        placeholders(dialect, 4)
    )
}

/// The aggregate holding a value (parameters: scope, value).
pub fn unique_holder(dialect: Dialect) -> String {
    let p = |n| dialect.placeholder(n);
    format!(
        "SELECT aggregate_type, aggregate_id FROM eventwright_unique_values \
         WHERE scope = {} AND value = {}",
        p(1),
        p(2)
    )
}

/// Gives a value up, if this aggregate holds it (parameters: scope, value, type, id).
pub fn release_unique(dialect: Dialect) -> String {
    let p = |n| dialect.placeholder(n);
    format!(
        "DELETE FROM eventwright_unique_values \
         WHERE scope = {} AND value = {} AND aggregate_type = {} AND aggregate_id = {}",
        p(1),
        p(2),
        p(3),
        p(4)
    )
}

/// The cursor kept in `table` under a reader (parameter: the reader's name).
fn select_cursor(dialect: Dialect, table: &str, reader: &str) -> String {
    format!(
        "SELECT transaction_id, position FROM {table} WHERE {reader} = {}",
        dialect.placeholder(1)
    )
}

/// Moves the cursor kept in `table` under a reader (parameters: the reader, transaction,
/// position), never backwards. Changes no row when the cursor is there or past it already.
fn save_cursor(dialect: Dialect, table: &str, reader: &str) -> String {
    format!(
        "INSERT INTO {table} ({reader}, transaction_id, position) \
         VALUES ({}) ON CONFLICT ({reader}) DO UPDATE \
         SET transaction_id = excluded.transaction_id, position = excluded.position \
         WHERE (excluded.transaction_id, excluded.position) \
         > ({table}.transaction_id, {table}.position)",
        placeholders(dialect, 3)
    )
}

pub fn select_relay_checkpoint(dialect: Dialect) -> String {
    select_cursor(dialect, "eventwright_relay_checkpoints", "relay")
}

pub fn save_relay_checkpoint(dialect: Dialect) -> String {
    save_cursor(dialect, "eventwright_relay_checkpoints", "relay")
}

pub fn select_checkpoint(dialect: Dialect) -> String {
    select_cursor(dialect, "eventwright_checkpoints", "projection")
}

/// See [`save_cursor`].
pub fn save_checkpoint(dialect: Dialect) -> String {
    save_cursor(dialect, "eventwright_checkpoints", "projection")
}

/// The last sequence a projection applied of one aggregate (parameters: projection, type, id).
pub fn select_applied(dialect: Dialect) -> String {
    let p = |n| dialect.placeholder(n);
    format!(
        "SELECT sequence FROM eventwright_applied \
         WHERE projection = {} AND aggregate_type = {} AND aggregate_id = {}",
        p(1),
        p(2),
        p(3)
    )
}

/// Moves that sequence forward (parameters: projection, type, id, sequence); changes no row
/// when it is there or past it already.
pub fn save_applied(dialect: Dialect) -> String {
    save_applied_rows(dialect, 1)
}

/// [`save_applied`] for `aggregates` distinct aggregates in one statement (parameters: each
/// one's projection, aggregate type, aggregate id and sequence in turn).
pub fn save_applied_rows(dialect: Dialect, aggregates: usize) -> String {
    format!(
        "INSERT INTO eventwright_applied (projection, aggregate_type, aggregate_id, sequence) \
         VALUES {} ON CONFLICT (projection, aggregate_type, aggregate_id) DO UPDATE \
         SET sequence = excluded.sequence WHERE eventwright_applied.sequence < excluded.sequence",
        value_rows(dialect, 4, aggregates)
    )
}

/// Takes the marks of `aggregates` distinct aggregates for the transaction (holding each one's
/// row until the commit, created at 0 when missing) and returns each one's `aggregate_type`,
/// `aggregate_id` and last applied `sequence` (parameters as [`save_applied_rows`], each
/// sequence 0).
pub fn claim_applied(dialect: Dialect, aggregates: usize) -> String {
    format!(
        "INSERT INTO eventwright_applied (projection, aggregate_type, aggregate_id, sequence) \
         VALUES {} ON CONFLICT (projection, aggregate_type, aggregate_id) DO UPDATE \
         SET sequence = eventwright_applied.sequence \
         RETURNING aggregate_type, aggregate_id, sequence",
        value_rows(dialect, 4, aggregates)
    )
}

/// `rows` parenthesized rows of `width` placeholders each, numbered on from the first.
fn value_rows(dialect: Dialect, width: usize, rows: usize) -> String {
    (0..rows)
        .map(|row| {
            let cells: Vec<String> = (1..=width)
                .map(|n| dialect.placeholder(row * width + n))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn select_generation(dialect: Dialect) -> String {
    format!(
        "SELECT generation FROM eventwright_generations WHERE projection = {}",
        dialect.placeholder(1)
    )
}

/// Makes a generation active (parameters: projection, generation), never moving backwards.
pub fn activate_generation(dialect: Dialect) -> String {
    format!(
        "INSERT INTO eventwright_generations (projection, generation) VALUES ({}) \
         ON CONFLICT (projection) DO UPDATE SET generation = excluded.generation \
         WHERE eventwright_generations.generation < excluded.generation",
        placeholders(dialect, 2)
    )
}

/// What dropping a projection runs: its table, then (each with the projection's name as its
/// one parameter) its checkpoint and marks.
pub fn drop_projection(dialect: Dialect, schema: &TableSchema<'_>) -> [String; 3] {
    let p = dialect.placeholder(1);
    [
        format!("DROP TABLE IF EXISTS {}", quote(schema.name)),
        format!("DELETE FROM eventwright_checkpoints WHERE projection = {p}"),
        format!("DELETE FROM eventwright_applied WHERE projection = {p}"),
    ]
}

pub fn select_by_key(dialect: Dialect, schema: &TableSchema<'_>) -> String {
    format!(
        "SELECT * FROM {} WHERE {} = {}",
        quote(schema.name),
        quote(schema.key),
        dialect.placeholder(1)
    )
}

/// The rows under `keys` keys (parameters: the keys).
pub fn select_by_keys(dialect: Dialect, schema: &TableSchema<'_>, keys: usize) -> String {
    format!(
        "SELECT * FROM {} WHERE {} IN ({})",
        quote(schema.name),
        quote(schema.key),
        placeholders(dialect, keys)
    )
}

pub fn delete_by_key(dialect: Dialect, schema: &TableSchema<'_>) -> String {
    format!(
        "DELETE FROM {} WHERE {} = {}",
        quote(schema.name),
        quote(schema.key),
        dialect.placeholder(1)
    )
}

/// Inserts a row or replaces every non-key column; parameters are the columns in schema order.
pub fn upsert(dialect: Dialect, schema: &TableSchema<'_>) -> String {
    upsert_rows(dialect, schema, 1)
}

/// [`upsert`] of `rows` rows with distinct keys in one statement (parameters: each row's
/// columns in turn).
pub fn upsert_rows(dialect: Dialect, schema: &TableSchema<'_>, rows: usize) -> String {
    let names: Vec<String> = schema
        .columns
        .iter()
        .map(|column| quote(column.name))
        .collect();
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
        "INSERT INTO {} ({}) VALUES {} ON CONFLICT ({}) {conflict}",
        quote(schema.name),
        names.join(", "),
        value_rows(dialect, names.len(), rows),
        quote(schema.key),
    )
}

/// One page of the rows an index finds. Parameters, in order: the `equal` columns' values,
/// then `from` and `before` when the find has them, then where the previous page ended when it
/// has one (the `order` column's value, when the index has one, and the key), then the limit.
pub fn find(dialect: Dialect, schema: &TableSchema<'_>, find: &Find<'_>) -> String {
    let mut n = 0;
    let mut next = || {
        n += 1;
        dialect.placeholder(n)
    };
    // An index that reaches inside a column is read from its entry table, joined to the rows.
    let expanded = find.index.is_expanded();
    let (from, terms, key, order) = if expanded {
        let entries = find.index.name(schema.name);
        let terms: Vec<String> = (0..find.index.equal.len())
            .map(|n| format!("e.{}", quote(&sql::entry_term(n))))
            .collect();
        (
            format!(
                "{} AS e JOIN {} AS r ON r.{} = e.{}",
                quote(&entries),
                quote(schema.name),
                quote(schema.key),
                quote(sql::ENTRY_KEY)
            ),
            terms,
            format!("e.{}", quote(sql::ENTRY_KEY)),
            find.index
                .order
                .map(|_| format!("e.{}", quote(sql::ENTRY_ORDER))),
        )
    } else {
        (
            quote(schema.name),
            find.index.equal.iter().copied().map(quote).collect(),
            quote(schema.key),
            find.index.order.map(quote),
        )
    };
    let mut conditions: Vec<String> = terms
        .iter()
        .map(|term| format!("{term} = {}", next()))
        .collect();
    if let Some(order) = &order {
        if find.from.is_some() {
            conditions.push(format!("{order} >= {}", next()));
        }
        if find.before.is_some() {
            conditions.push(format!("{order} < {}", next()));
        }
    }
    let (past, direction) = if find.descending {
        ("<", " DESC")
    } else {
        (">", "")
    };
    if find.after.is_some() {
        conditions.push(match &order {
            Some(order) => format!("({order}, {key}) {past} ({}, {})", next(), next()),
            None => format!("{key} {past} {}", next()),
        });
    }
    let sort: Vec<String> = order
        .iter()
        .chain([&key])
        .map(|column| format!("{column}{direction}"))
        .collect();
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let columns = if expanded { "r.*" } else { "*" };
    format!(
        "SELECT {columns} FROM {from}{filter} ORDER BY {} LIMIT {}",
        sort.join(", "),
        next()
    )
}

/// Removes every entry of the row keyed by parameter 1 from an entry table.
pub fn delete_entries(dialect: Dialect, table: &str) -> String {
    format!(
        "DELETE FROM {} WHERE {} = {}",
        quote(table),
        quote(sql::ENTRY_KEY),
        dialect.placeholder(1)
    )
}

/// Adds one entry to an entry table. Parameters: the terms' JSON text, the order column's value
/// (when the index has one), the row's key.
pub fn insert_entry(dialect: Dialect, table: &str, index: &Index<'_>) -> String {
    let mut columns: Vec<String> = (0..index.equal.len()).map(sql::entry_term).collect();
    columns.extend(index.order.map(|_| sql::ENTRY_ORDER.to_owned()));
    columns.push(sql::ENTRY_KEY.to_owned());
    let names: Vec<String> = columns.iter().map(|column| quote(column)).collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        quote(table),
        names.join(", "),
        placeholders(dialect, columns.len())
    )
}

/// The rows whose `field` equals parameter 1, in key order.
pub fn select_where(dialect: Dialect, schema: &TableSchema<'_>, field: &str) -> String {
    format!(
        "SELECT * FROM {} WHERE {} = {} ORDER BY {}",
        quote(schema.name),
        quote(field),
        dialect.placeholder(1),
        quote(schema.key),
    )
}

/// Every row, after the key in parameter 1 when `after_key`, ordered by key; the last parameter
/// is the limit.
pub fn list_all(dialect: Dialect, schema: &TableSchema<'_>, after_key: bool) -> String {
    let p = |n| dialect.placeholder(n);
    let (after, limit) = if after_key {
        (format!(" WHERE {} > {}", quote(schema.key), p(1)), p(2))
    } else {
        (String::new(), p(1))
    };
    format!(
        "SELECT * FROM {}{after} ORDER BY {} LIMIT {limit}",
        quote(schema.name),
        quote(schema.key),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::RowPosition;
    use crate::table::{ColumnDef, ColumnType, Index};
    use serde_json::Value;

    const ROWS: TableSchema<'static> = TableSchema {
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
        indexes: &[Index {
            equal: &["n"],
            order: None,
        }],
        summaries: &[],
    };

    #[test]
    fn statements_number_their_parameters() {
        assert_eq!(
            upsert(Dialect::Postgres, &ROWS),
            "INSERT INTO \"rows\" (\"id\", \"n\") VALUES ($1, $2) ON CONFLICT (\"id\") DO UPDATE SET \"n\" = excluded.\"n\""
        );
        let after = RowPosition {
            order: None,
            key: Value::from("a"),
        };
        let by_n = Find {
            index: &ROWS.indexes[0],
            equal: &[],
            from: None,
            before: None,
            descending: false,
            after: Some(&after),
            limit: 2,
        };
        assert_eq!(
            find(Dialect::Sqlite, &ROWS, &by_n),
            "SELECT * FROM \"rows\" WHERE \"n\" = ?1 AND \"id\" > ?2 ORDER BY \"id\" LIMIT ?3"
        );
        let ordered = Index {
            equal: &["n"],
            order: Some("at"),
        };
        let (from, before) = (Value::from(1), Value::from(2));
        let newest_first = Find {
            index: &ordered,
            from: Some(&from),
            before: Some(&before),
            descending: true,
            ..by_n
        };
        assert_eq!(
            find(Dialect::Postgres, &ROWS, &newest_first),
            "SELECT * FROM \"rows\" WHERE \"n\" = $1 AND \"at\" >= $2 AND \"at\" < $3 AND \
             (\"at\", \"id\") < ($4, $5) ORDER BY \"at\" DESC, \"id\" DESC LIMIT $6"
        );
    }
}
