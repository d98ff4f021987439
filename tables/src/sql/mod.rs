//! The SQL stores' tables, on SQLite and PostgreSQL: each table described once, and spelled in
//! each [`Dialect`].
//!
//! The write side keeps the event log (which is also the transactional outbox), each aggregate's
//! newest snapshot, each state-stored aggregate's state, each outbox relay's checkpoint and the
//! values aggregates hold uniquely; the read side keeps each projection's checkpoint, its active
//! generation and, for projections fed by a partitioned broker, the last sequence applied per
//! aggregate.

mod tables;

use crate::migration::{Migration, Step};
use crate::read_model::{ColumnType, Index, Summary, TableSchema};
use tables::{
    APPLIED, CHECKPOINTS, EVENT_TAGS, EVENTS, GENERATIONS, RELAY_CHECKPOINTS, SENT_COMMANDS,
    SHAPES, SNAPSHOTS, STATES, SUBJECT_KEYS, TIMERS, UNIQUE_VALUES, WORKFLOWS, create,
};

/// How a SQL database spells what the tables need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// One writer at a time, so the log's positions are handed out in commit order; values
    /// without a type of their own (uuids, timestamps, decimals, JSON) are text.
    Sqlite,
    /// Typed columns; positions are handed out before commit, so each event also records its
    /// transaction id and the log is read in (transaction, position) order.
    Postgres,
}

impl Dialect {
    /// The placeholder of the `n`th parameter of a statement, counting from 1.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// The column type of a read-model column.
    pub fn column_type(self, ty: ColumnType) -> &'static str {
        match (self, ty) {
            (Dialect::Sqlite, ColumnType::Bool | ColumnType::Int) => "INTEGER",
            (Dialect::Sqlite, ColumnType::Float) => "REAL",
            (
                Dialect::Sqlite,
                ColumnType::String
                | ColumnType::Decimal
                | ColumnType::Uuid
                | ColumnType::Timestamp
                | ColumnType::Date
                | ColumnType::Json,
            ) => "TEXT",
            (Dialect::Postgres, ColumnType::String) => "TEXT",
            (Dialect::Postgres, ColumnType::Bool) => "BOOLEAN",
            (Dialect::Postgres, ColumnType::Int) => "BIGINT",
            (Dialect::Postgres, ColumnType::Float) => "DOUBLE PRECISION",
            (Dialect::Postgres, ColumnType::Decimal) => "NUMERIC",
            (Dialect::Postgres, ColumnType::Uuid) => "UUID",
            (Dialect::Postgres, ColumnType::Timestamp) => "TIMESTAMPTZ",
            (Dialect::Postgres, ColumnType::Date) => "DATE",
            (Dialect::Postgres, ColumnType::Json) => "JSONB",
        }
    }

    /// How to add a column introduced after its table's first release, whether or not the
    /// table has it already.
    ///
    /// PostgreSQL looks the column up in the catalog first, in the same statement: `ALTER
    /// TABLE` takes a lock that stops readers and writers even when it has nothing to do, and
    /// stores run their migrations at every start.
    pub fn add_column(self, table: &str, column: &str, ty: &str) -> AddColumn {
        match self {
            Dialect::Sqlite => AddColumn::Unless {
                exists: format!(
                    "SELECT EXISTS (SELECT 1 FROM pragma_table_info('{table}') \
                     WHERE name = '{column}') AS present"
                ),
                add: format!("ALTER TABLE {table} ADD COLUMN {column} {ty}"),
            },
            Dialect::Postgres => AddColumn::Statement(format!(
                "DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema()
                     AND table_name = '{table}' AND column_name = '{column}')
    THEN
        ALTER TABLE {table} ADD COLUMN {column} {ty};
    END IF;
END $$"
            )),
        }
    }
}

/// How a store adds a column to a table that may have it already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddColumn {
    /// One statement that adds it unless it is there.
    Statement(String),
    /// Where the database cannot say that in one statement: a query whose one value says
    /// whether the column is there, and the statement that adds it.
    Unless { exists: String, add: String },
}

/// `"name"`, with embedded quotes doubled.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The event store's migrations: the log, snapshots, state rows, relay checkpoints, unique
/// values.
pub fn event_store(dialect: Dialect) -> Vec<Migration> {
    let mut events = vec![Step::Sql(create(dialect, &EVENTS))];
    if dialect == Dialect::Postgres {
        events.push(Step::Sql(
            "CREATE INDEX IF NOT EXISTS eventwright_events_log\n    \
             ON eventwright_events (transaction_id, position)"
                .to_owned(),
        ));
    }
    vec![
        Migration {
            version: 1,
            name: "events",
            summary: "the event log (`eventwright_events`)",
            about: match dialect {
                Dialect::Sqlite => {
                    "The event log: every aggregate's events, in the order they were committed."
                }
                Dialect::Postgres => {
                    "The event log: every aggregate's events. Positions come from the identity \
                     column, but PostgreSQL assigns them before commit; the transaction id lets \
                     readers follow the log in commit-safe order (transaction_id, position)."
                }
            },
            steps: events,
        },
        Migration {
            version: 2,
            name: "snapshots",
            summary: "each aggregate's newest snapshot (`eventwright_snapshots`)",
            about: "Each aggregate's newest snapshot: its state after the event at `sequence`, so \
                    that loading it reads only the events after that. Only a shortcut: the events \
                    stay the truth, so a deleted row just makes the next load read the whole \
                    stream.",
            steps: vec![Step::Sql(create(dialect, &SNAPSHOTS))],
        },
        Migration {
            version: 3,
            name: "states",
            summary: "each state-stored aggregate's current state (`eventwright_states`)",
            about: "The current state of each state-stored aggregate (`persistence: \
                    state_stored`) and its version, the sequence of its last event. A command \
                    moves the row from the version it loaded, together with appending its events, \
                    so the two commit together or not at all. Unlike a snapshot, the row is the \
                    truth: do not delete it.",
            steps: vec![Step::Sql(create(dialect, &STATES))],
        },
        Migration {
            version: 4,
            name: "relay_checkpoints",
            summary: "how far each outbox relay has delivered (`eventwright_relay_checkpoints`)",
            about: "How far each outbox relay has delivered the event log to its broker, as the \
                    (transaction id, position) of the last event the broker acknowledged. A relay \
                    resumes here after a restart.",
            steps: vec![Step::Sql(create(dialect, &RELAY_CHECKPOINTS))],
        },
        Migration {
            version: 5,
            name: "trace_context",
            summary: "the trace each event was recorded in (`eventwright_events.traceparent`)",
            about: "The W3C traceparent of the span each event was recorded in, where the service \
                    exports traces: projections continue that trace. Added after the event \
                    table's first release, so an event store made before it gains the column.",
            steps: vec![Step::AddColumn {
                table: "eventwright_events",
                column: "traceparent",
                ty: "TEXT",
            }],
        },
        Migration {
            version: 6,
            name: "unique_values",
            summary: "the values each aggregate holds uniquely (`eventwright_unique_values`)",
            about: "The values an aggregate holds uniquely within a scope: an ISBN among books, an \
                    email among members. A value is claimed in the same transaction that appends \
                    the claimant's events, so of two claims of one value exactly one commits; a \
                    later event can release it for another aggregate to claim.",
            steps: vec![Step::Sql(create(dialect, &UNIQUE_VALUES))],
        },
        Migration {
            version: 7,
            name: "event_tags",
            summary: "what each event is about beyond its aggregate (`eventwright_event_tags`)",
            about: "The tags of each tagged event (`member=m-7` on a book's loan), with the \
                    event's position, aggregate type and name: how a decision finds the events \
                    matching its query, and checks at its append that none matching was added \
                    since it read. Written in the event's transaction; untagged events have no \
                    row.",
            steps: vec![Step::Sql(create(dialect, &EVENT_TAGS))],
        },
        Migration {
            version: 8,
            name: "actor",
            summary: "who sent the command each event records (`eventwright_events.actor`)",
            about: "Who sent the command that recorded each event, when the service knows: a \
                    user or a service account. Added after the event table's first release, so \
                    an event store made before it gains the column.",
            steps: vec![Step::AddColumn {
                table: "eventwright_events",
                column: "actor",
                ty: "TEXT",
            }],
        },
        Migration {
            version: 9,
            name: "sent_commands",
            summary: "the commands sent with an id, and how each ended (`eventwright_sent_commands`)",
            about: "Each command sent with an id (a workflow's, derived from what caused it): \
                    committed in the transaction that appends its events, or refused, with the \
                    refusal. The same id sent again appends nothing and gets the same answer, so \
                    a workflow that crashed after sending a command can send it again safely.",
            steps: vec![Step::Sql(create(dialect, &SENT_COMMANDS))],
        },
        Migration {
            version: 10,
            name: "workflows",
            summary: "each running process's state, and its timers (`eventwright_workflows`, `eventwright_timers`)",
            about: "The state of each process a process manager runs, by workflow and correlation \
                    (NULL once it finished), with the last sequence it handled of each aggregate, \
                    and the timers it has scheduled, due at `due_ms` (milliseconds since 1970, \
                    UTC). A step moves the state from the version it read, and schedules, cancels \
                    or fires timers, in one transaction.",
            steps: vec![
                Step::Sql(create(dialect, &WORKFLOWS)),
                Step::Sql(create(dialect, &TIMERS)),
                Step::Sql(
                    "CREATE INDEX IF NOT EXISTS eventwright_timers_due\n    \
                     ON eventwright_timers (workflow, due_ms)"
                        .to_owned(),
                ),
            ],
        },
        Migration {
            version: 11,
            name: "sent_command_answers",
            summary: "what a command sent with an id answered, and the request it came in (`eventwright_sent_commands`)",
            about: "For a committed command sent with an id, the aggregate's version after it and \
                    the log position of its last event, so the same id sent again gets the same \
                    answer; and a fingerprint of the request that carried it (an HTTP \
                    `Idempotency-Key`), so the key reused on another request is refused. Added \
                    after the table's first release.",
            steps: vec![
                Step::AddColumn {
                    table: "eventwright_sent_commands",
                    column: "version",
                    ty: "BIGINT",
                },
                Step::AddColumn {
                    table: "eventwright_sent_commands",
                    column: "position",
                    ty: "BIGINT",
                },
                Step::AddColumn {
                    table: "eventwright_sent_commands",
                    column: "request",
                    ty: "TEXT",
                },
            ],
        },
        Migration {
            version: 12,
            name: "subject_keys",
            summary: "the key that seals each data subject's personal fields (`eventwright_subject_keys`)",
            about: "One key per data subject (a member, a patient: `kind` and `subject`), made when \
                    an event first carries personal data about them. Events hold those fields \
                    encrypted with it. Forgetting the subject deletes its row: the fields can \
                    never be read again, and read models rebuilt afterwards show them erased. \
                    Do not copy this table into backups kept longer than the right to erasure \
                    allows.",
            steps: vec![Step::Sql(create(dialect, &SUBJECT_KEYS))],
        },
    ]
}

/// The read store's own migrations: checkpoints, generations, and per-aggregate marks.
/// Projection tables come after them, one per projection ([`projection_table`]).
pub fn read_store(dialect: Dialect) -> Vec<Migration> {
    vec![
        Migration {
            version: 1,
            name: "checkpoints",
            summary: "how far each projection has read, and its active generation (`eventwright_checkpoints`, `eventwright_generations`)",
            about: "How far each projection has read the event log, and which generation of each \
                    projection queries read: 0 until `projections rebuild` switches one to a \
                    rebuilt generation, whose tables are named `<table>_g<n>`. A projection's row \
                    changes and its checkpoint are written in one transaction, so an event is \
                    applied exactly once.",
            steps: vec![
                Step::Sql(create(dialect, &CHECKPOINTS)),
                Step::Sql(create(dialect, &GENERATIONS)),
            ],
        },
        Migration {
            version: 2,
            name: "applied",
            summary: "the last sequence each projection applied per aggregate (`eventwright_applied`)",
            about: "The last sequence each projection applied per aggregate, for projectors fed \
                    by a partitioned broker: each aggregate's events arrive in order there, but \
                    aggregates interleave, so one checkpoint per projection cannot tell a \
                    redelivery from a new event. Written in the same transaction as the row \
                    change, so an event is applied exactly once.",
            steps: vec![Step::Sql(create(dialect, &APPLIED))],
        },
        Migration {
            version: 3,
            name: "shapes",
            summary: "what each projection table was built for (`eventwright_shapes`)",
            about: SHAPES_ABOUT,
            steps: vec![Step::Sql(create(dialect, &SHAPES))],
        },
    ]
}

/// What `eventwright_shapes` is for, on every read store.
pub const SHAPES_ABOUT: &str = "A hash of the columns, lists and counts each projection table was \
    built for. A service whose projection reads another shape (a field, a list or a count added) \
    says so at startup and in `projections status`: what it added fills only when \
    `projections rebuild` replays the events into a new generation.";

/// The longest name PostgreSQL keeps whole: it cuts longer ones, and two cut alike collide.
pub const POSTGRES_NAME_LIMIT: usize = 63;

/// Why `schema`'s table and indexes cannot be created on `dialect`, if they cannot: an index
/// it cannot serve ([`TableSchema::check_indexes`]), or a table name PostgreSQL would cut.
/// Index names always fit ([`Index::name`](crate::Index::name)).
pub fn check(dialect: Dialect, schema: &TableSchema<'_>) -> Result<(), String> {
    schema.check_indexes(dialect == Dialect::Sqlite)?;
    schema.check_summaries(dialect == Dialect::Sqlite)?;
    if dialect == Dialect::Postgres && schema.name.len() > POSTGRES_NAME_LIMIT {
        return Err(format!(
            "PostgreSQL names have at most {POSTGRES_NAME_LIMIT} characters; `{}` has {}",
            schema.name,
            schema.name.len()
        ));
    }
    Ok(())
}

/// A projection's table, keyed by its key, and one index per [`Index`](crate::Index), on its
/// columns and then the key, for keyset pagination.
pub fn projection_table(dialect: Dialect, schema: &TableSchema<'_>) -> Vec<String> {
    let width = schema
        .columns
        .iter()
        .map(|column| quote(column.name).len())
        .max()
        .unwrap_or(0);
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
                "    {:<width$} {}{constraint}",
                quote(column.name),
                dialect.column_type(column.ty)
            )
        })
        .collect();
    let mut statements = vec![format!(
        "CREATE TABLE IF NOT EXISTS {} (\n{}\n)",
        quote(schema.name),
        columns.join(",\n")
    )];
    for index in schema.indexes.iter().filter(|index| !index.is_expanded()) {
        let columns: Vec<String> = index.columns().chain([schema.key]).map(quote).collect();
        statements.push(format!(
            "CREATE INDEX IF NOT EXISTS {}\n    ON {} ({})",
            quote(&index.name(schema.name)),
            quote(schema.name),
            columns.join(", "),
        ));
    }
    for index in schema.indexes.iter().filter(|index| index.is_expanded()) {
        statements.extend(entry_table(dialect, schema, index));
    }
    for summary in schema.summaries {
        statements.push(summary_table(dialect, schema, summary));
    }
    statements
}

/// The column of a summary table holding the group's value.
pub const SUMMARY_GROUP: &str = "group_value";
/// The column of a summary table holding how many rows the group has.
pub const SUMMARY_COUNT: &str = "row_count";

/// The column of a summary table holding the `n`th sum.
pub fn summary_sum(n: usize) -> String {
    format!("sum_{n}")
}

/// A summary's table: one row per group, its count and its sums.
fn summary_table(dialect: Dialect, schema: &TableSchema<'_>, summary: &Summary<'_>) -> String {
    let ty = |column: &str| {
        schema
            .column(column)
            .map_or("TEXT", |def| dialect.column_type(def.ty))
    };
    let mut columns = vec![
        (
            SUMMARY_GROUP.to_owned(),
            format!("{} PRIMARY KEY", ty(summary.by)),
        ),
        (SUMMARY_COUNT.to_owned(), "BIGINT NOT NULL".to_owned()),
    ];
    for (n, sum) in summary.sums.iter().enumerate() {
        columns.push((summary_sum(n), format!("{} NOT NULL", ty(sum))));
    }
    create_table(&summary.name(schema.name), &columns)
}

/// `CREATE TABLE IF NOT EXISTS`, one `(name, type and constraints)` a line, names aligned.
fn create_table(name: &str, columns: &[(String, String)]) -> String {
    let width = columns
        .iter()
        .map(|(name, _)| quote(name).len())
        .max()
        .unwrap_or(0);
    let lines: Vec<String> = columns
        .iter()
        .map(|(name, ty)| format!("    {:<width$} {ty}", quote(name)))
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n{}\n)",
        quote(name),
        lines.join(",\n")
    )
}

/// The column of an entry table holding the row's key.
pub const ENTRY_KEY: &str = "row_key";
/// The column of an entry table holding the row's value of the index's order column.
pub const ENTRY_ORDER: &str = "ordered";

/// The column of an entry table holding the `n`th term's value, as JSON text.
pub fn entry_term(n: usize) -> String {
    format!("term_{n}")
}

/// The tables kept beside `schema`'s own: the entry tables of its indexes that reach inside a
/// column, and its summaries' tables.
pub fn side_tables(schema: &TableSchema<'_>) -> Vec<String> {
    let entries = schema
        .indexes
        .iter()
        .filter(|index| index.is_expanded())
        .map(|index| index.name(schema.name));
    let summaries = schema
        .summaries
        .iter()
        .map(|summary| summary.name(schema.name));
    entries.chain(summaries).collect()
}

/// The table of an index that reaches inside a column (`authors[]`, `address.city`): one row
/// per entry of each projection row (each element), its terms as JSON text, then the row's
/// order value and key; indexed for the lookup, and by key for rewriting a row's entries.
fn entry_table(dialect: Dialect, schema: &TableSchema<'_>, index: &Index<'_>) -> Vec<String> {
    let name = index.name(schema.name);
    let not_null = |ty: &str| format!("{ty} NOT NULL");
    let mut columns: Vec<(String, String)> = (0..index.equal.len())
        .map(|n| (entry_term(n), not_null("TEXT")))
        .collect();
    if let Some(order) = index.order.and_then(|order| schema.column(order)) {
        columns.push((
            ENTRY_ORDER.to_owned(),
            not_null(dialect.column_type(order.ty)),
        ));
    }
    let key = dialect.column_type(schema.key_column().ty);
    columns.push((ENTRY_KEY.to_owned(), not_null(key)));
    let lookup: Vec<String> = columns.iter().map(|(name, _)| quote(name)).collect();
    vec![
        create_table(&name, &columns),
        format!(
            "CREATE INDEX IF NOT EXISTS {}\n    ON {} ({})",
            quote(&format!("{name}_lookup")),
            quote(&name),
            lookup.join(", ")
        ),
        format!(
            "CREATE INDEX IF NOT EXISTS {}\n    ON {} ({})",
            quote(&format!("{name}_rows")),
            quote(&name),
            quote(ENTRY_KEY)
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_model::{ColumnDef, Index};

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
    fn projection_tables_are_keyed_and_indexed_for_their_lists() {
        assert_eq!(
            projection_table(Dialect::Postgres, &ROWS),
            [
                "CREATE TABLE IF NOT EXISTS \"rows\" (\n    \"id\" TEXT PRIMARY KEY,\n    \"n\"  BIGINT\n)",
                "CREATE INDEX IF NOT EXISTS \"rows_by_n\"\n    ON \"rows\" (\"n\", \"id\")",
            ]
        );
        assert!(projection_table(Dialect::Sqlite, &ROWS)[0].contains("\"n\"  INTEGER\n"));
    }

    #[test]
    fn migrations_are_numbered_in_order_from_one() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            for migrations in [event_store(dialect), read_store(dialect)] {
                let versions: Vec<u32> = migrations.iter().map(|m| m.version).collect();
                let expected: Vec<u32> = (1..=migrations.len() as u32).collect();
                assert_eq!(versions, expected);
            }
        }
    }
}
