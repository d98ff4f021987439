//! Versioned changes to a store's own tables.

/// One change to a store's own tables, numbered in the order it was introduced.
///
/// Every step is idempotent: a store runs all its migrations each time it starts, so a
/// database that is new, one prepared from the migration files, and one left by an older
/// release all end up the same. A migration is never edited once released; a change to a table
/// is a new migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// 1, 2, 3, ...: the order to apply them in.
    pub version: u32,
    /// A file-name stem, e.g. `events`: `0001_events.sql`.
    pub name: &'static str,
    /// What it creates, in a few words, for a list: "the event log (`eventwright_events`)".
    pub summary: &'static str,
    /// What it creates and why, in a few lines, for the migration file's header.
    pub about: &'static str,
    pub steps: Vec<Step>,
}

/// One idempotent statement of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A statement that is idempotent as written (`CREATE ... IF NOT EXISTS`).
    Sql(String),
    /// A column added to a table after its first release. Not every database can say "add it
    /// if it is missing" in one statement: [`sql::Dialect::add_column`](crate::sql::Dialect::add_column)
    /// says how each one does it.
    AddColumn {
        table: &'static str,
        column: &'static str,
        /// The column's SQL type.
        ty: &'static str,
    },
}
