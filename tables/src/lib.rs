//! The tables eventwright keeps, defined once.
//!
//! The runtime (`eventwright`) creates these tables when a store starts, and the CLI
//! (`eventwright-cli`) ships the very same statements as the migration files of a generated
//! project, so a database prepared ahead of time from those files and one the service prepared
//! itself are identical. Nothing here talks to a database: it is the text of the definitions,
//! for whoever runs or writes them.
//!
//! - [`TableSchema`]: a projection's table, as `#[derive(Projection)]` or a model describes it.
//! - [`Migration`]: one versioned, idempotent change to a store's own tables.
//! - [`sql`]: the event store and the read store on SQLite and PostgreSQL.
//! - [`cql`]: the read store on Cassandra.

pub mod cql;
mod migration;
mod read_model;
pub mod sql;

pub use migration::{Migration, Step};
pub use read_model::{ColumnDef, ColumnType, INDEX_NAME_LIMIT, Index, Summary, TableSchema, Term};
