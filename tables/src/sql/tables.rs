//! The SQL stores' own tables, each described once in a dialect-neutral vocabulary and spelled
//! in each [`Dialect`] by [`create`].

use super::Dialect;

/// What a bookkeeping column holds; each dialect spells its type.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// The log's position, handed out by the database: the primary key.
    Position,
    /// The id of the transaction that wrote a row, where the database has one to give.
    TransactionId,
    Uuid,
    Text,
    /// A sequence, version or position.
    BigInt,
    Int,
    Timestamp,
    Json,
}

struct Column {
    name: &'static str,
    kind: Kind,
    /// What follows the type: `NOT NULL`, `PRIMARY KEY`, ...
    rest: &'static str,
}

const fn column(name: &'static str, kind: Kind, rest: &'static str) -> Column {
    Column { name, kind, rest }
}

pub(super) struct Table {
    name: &'static str,
    columns: &'static [Column],
    /// Table constraints after the columns: `UNIQUE (...)`, `PRIMARY KEY (...)`.
    constraints: &'static [&'static str],
}

pub(super) const EVENTS: Table = Table {
    name: "eventwright_events",
    columns: &[
        column("position", Kind::Position, ""),
        column("transaction_id", Kind::TransactionId, ""),
        column("event_id", Kind::Uuid, "NOT NULL UNIQUE"),
        column("aggregate_type", Kind::Text, "NOT NULL"),
        column("aggregate_id", Kind::Text, "NOT NULL"),
        column("sequence", Kind::BigInt, "NOT NULL"),
        column("event_type", Kind::Text, "NOT NULL"),
        column("event_version", Kind::Int, "NOT NULL"),
        column("timestamp", Kind::Timestamp, "NOT NULL"),
        column("correlation_id", Kind::Text, ""),
        column("causation_id", Kind::Text, ""),
        column("payload", Kind::Json, "NOT NULL"),
    ],
    constraints: &["UNIQUE (aggregate_type, aggregate_id, sequence)"],
};

pub(super) const SNAPSHOTS: Table = Table {
    name: "eventwright_snapshots",
    columns: &[
        column("aggregate_type", Kind::Text, "NOT NULL"),
        column("aggregate_id", Kind::Text, "NOT NULL"),
        column("sequence", Kind::BigInt, "NOT NULL"),
        column("state", Kind::Json, "NOT NULL"),
    ],
    constraints: &["PRIMARY KEY (aggregate_type, aggregate_id)"],
};

pub(super) const STATES: Table = Table {
    name: "eventwright_states",
    columns: &[
        column("aggregate_type", Kind::Text, "NOT NULL"),
        column("aggregate_id", Kind::Text, "NOT NULL"),
        column("version", Kind::BigInt, "NOT NULL"),
        column("state", Kind::Json, "NOT NULL"),
    ],
    constraints: &["PRIMARY KEY (aggregate_type, aggregate_id)"],
};

pub(super) const RELAY_CHECKPOINTS: Table = Table {
    name: "eventwright_relay_checkpoints",
    columns: &[
        column("relay", Kind::Text, "PRIMARY KEY"),
        column("transaction_id", Kind::BigInt, "NOT NULL"),
        column("position", Kind::BigInt, "NOT NULL"),
    ],
    constraints: &[],
};

pub(super) const UNIQUE_VALUES: Table = Table {
    name: "eventwright_unique_values",
    columns: &[
        column("scope", Kind::Text, "NOT NULL"),
        column("value", Kind::Text, "NOT NULL"),
        column("aggregate_type", Kind::Text, "NOT NULL"),
        column("aggregate_id", Kind::Text, "NOT NULL"),
    ],
    constraints: &["PRIMARY KEY (scope, value)"],
};

pub(super) const EVENT_TAGS: Table = Table {
    name: "eventwright_event_tags",
    columns: &[
        column("tag", Kind::Text, "NOT NULL"),
        column("position", Kind::BigInt, "NOT NULL"),
        column("aggregate_type", Kind::Text, "NOT NULL"),
        column("event_type", Kind::Text, "NOT NULL"),
    ],
    constraints: &["PRIMARY KEY (tag, position)"],
};

pub(super) const SENT_COMMANDS: Table = Table {
    name: "eventwright_sent_commands",
    columns: &[
        column("command_id", Kind::Uuid, "PRIMARY KEY"),
        column("aggregate_type", Kind::Text, "NOT NULL"),
        column("aggregate_id", Kind::Text, "NOT NULL"),
        column("refusal", Kind::Json, ""),
    ],
    constraints: &[],
};

pub(super) const SUBJECT_KEYS: Table = Table {
    name: "eventwright_subject_keys",
    columns: &[
        column("kind", Kind::Text, "NOT NULL"),
        column("subject", Kind::Text, "NOT NULL"),
        column("key_id", Kind::Uuid, "NOT NULL"),
        column("secret", Kind::Text, "NOT NULL"),
        column("created_at", Kind::Timestamp, "NOT NULL"),
    ],
    constraints: &["PRIMARY KEY (kind, subject)"],
};

pub(super) const WORKFLOWS: Table = Table {
    name: "eventwright_workflows",
    columns: &[
        column("workflow", Kind::Text, "NOT NULL"),
        column("correlation", Kind::Text, "NOT NULL"),
        column("version", Kind::BigInt, "NOT NULL"),
        column("state", Kind::Json, ""),
        column("marks", Kind::Json, "NOT NULL"),
    ],
    constraints: &["PRIMARY KEY (workflow, correlation)"],
};

pub(super) const TIMERS: Table = Table {
    name: "eventwright_timers",
    columns: &[
        column("workflow", Kind::Text, "NOT NULL"),
        column("correlation", Kind::Text, "NOT NULL"),
        column("name", Kind::Text, "NOT NULL"),
        column("due_ms", Kind::BigInt, "NOT NULL"),
        column("timer", Kind::Json, "NOT NULL"),
    ],
    constraints: &["PRIMARY KEY (workflow, correlation, name)"],
};

pub(super) const CHECKPOINTS: Table = Table {
    name: "eventwright_checkpoints",
    columns: &[
        column("projection", Kind::Text, "PRIMARY KEY"),
        column("transaction_id", Kind::BigInt, "NOT NULL"),
        column("position", Kind::BigInt, "NOT NULL"),
    ],
    constraints: &[],
};

pub(super) const GENERATIONS: Table = Table {
    name: "eventwright_generations",
    columns: &[
        column("projection", Kind::Text, "PRIMARY KEY"),
        column("generation", Kind::BigInt, "NOT NULL"),
    ],
    constraints: &[],
};

pub(super) const SHAPES: Table = Table {
    name: "eventwright_shapes",
    columns: &[
        column("table_name", Kind::Text, "PRIMARY KEY"),
        column("shape", Kind::Text, "NOT NULL"),
    ],
    constraints: &[],
};

pub(super) const APPLIED: Table = Table {
    name: "eventwright_applied",
    columns: &[
        column("projection", Kind::Text, "NOT NULL"),
        column("aggregate_type", Kind::Text, "NOT NULL"),
        column("aggregate_id", Kind::Text, "NOT NULL"),
        column("sequence", Kind::BigInt, "NOT NULL"),
    ],
    constraints: &["PRIMARY KEY (projection, aggregate_type, aggregate_id)"],
};

/// `CREATE TABLE IF NOT EXISTS`, one column per line, names and types aligned.
pub(super) fn create(dialect: Dialect, table: &Table) -> String {
    let columns: Vec<(&str, &str, &str)> = table
        .columns
        .iter()
        .filter_map(|column| Some((column.name, spelled(dialect, column.kind)?, column.rest)))
        .collect();
    let name_width = columns
        .iter()
        .map(|(name, ..)| name.len())
        .max()
        .unwrap_or(0);
    // Types are aligned where something follows them.
    let type_width = columns
        .iter()
        .filter(|(.., rest)| !rest.is_empty())
        .map(|(_, ty, _)| ty.len())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<String> = columns
        .iter()
        .map(|(name, ty, rest)| {
            format!("    {name:<name_width$} {ty:<type_width$} {rest}")
                .trim_end()
                .to_owned()
        })
        .collect();
    lines.extend(table.constraints.iter().map(|c| format!("    {c}")));
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n{}\n)",
        table.name,
        lines.join(",\n")
    )
}

/// The type of a bookkeeping column in `dialect`; `None` for a column the dialect has no use
/// for.
fn spelled(dialect: Dialect, kind: Kind) -> Option<&'static str> {
    Some(match (dialect, kind) {
        (Dialect::Sqlite, Kind::Position) => "INTEGER PRIMARY KEY AUTOINCREMENT",
        (Dialect::Postgres, Kind::Position) => "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        (Dialect::Sqlite, Kind::TransactionId) => return None,
        (Dialect::Postgres, Kind::TransactionId) => "XID8 NOT NULL DEFAULT pg_current_xact_id()",
        (Dialect::Sqlite, Kind::Uuid) => "TEXT",
        (Dialect::Postgres, Kind::Uuid) => "UUID",
        (_, Kind::Text) => "TEXT",
        (Dialect::Sqlite, Kind::BigInt) | (_, Kind::Int) => "INTEGER",
        (Dialect::Postgres, Kind::BigInt) => "BIGINT",
        (Dialect::Sqlite, Kind::Timestamp) => "TEXT",
        (Dialect::Postgres, Kind::Timestamp) => "TIMESTAMPTZ",
        (Dialect::Sqlite, Kind::Json) => "TEXT",
        (Dialect::Postgres, Kind::Json) => "JSONB",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_has_a_transaction_id_only_where_the_database_gives_one() {
        let sqlite = create(Dialect::Sqlite, &EVENTS);
        let postgres = create(Dialect::Postgres, &EVENTS);
        assert!(!sqlite.contains("transaction_id"), "{sqlite}");
        assert!(sqlite.contains("    position       INTEGER PRIMARY KEY AUTOINCREMENT,\n"));
        assert!(
            postgres.contains("    transaction_id XID8 NOT NULL DEFAULT pg_current_xact_id(),\n")
        );
        assert!(postgres.contains("    event_id       UUID        NOT NULL UNIQUE,\n"));
        assert!(postgres.ends_with(
            "    payload        JSONB       NOT NULL,\n    UNIQUE (aggregate_type, aggregate_id, sequence)\n)"
        ));
    }
}
