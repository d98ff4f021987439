//! A projection's table: its columns, its key, and the columns its list queries filter on.

/// The logical type of a read-model column. Each read store maps it to a column type of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    String,
    Bool,
    Int,
    Float,
    Decimal,
    Uuid,
    Timestamp,
    Date,
    /// Lists, value objects and anything else stored as a JSON document.
    Json,
}

/// One column of a read-model table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef<'a> {
    pub name: &'a str,
    pub ty: ColumnType,
    pub nullable: bool,
}

/// A read-model table: its columns, its key, and the columns queries list by.
///
/// `#[derive(Projection)]` describes a projection's table as a `TableSchema<'static>` constant;
/// the CLI describes the same table from the model, borrowing the model's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSchema<'a> {
    pub name: &'a str,
    pub key: &'a str,
    pub columns: &'a [ColumnDef<'a>],
    /// Columns that list queries filter on; each gets an index (or a table) ordered by
    /// (column, key).
    pub indexed: &'a [&'a str],
}

impl<'a> TableSchema<'a> {
    pub fn column(&self, name: &str) -> Option<&'a ColumnDef<'a>> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// The key's column. A schema whose key is not one of its columns is a bug in whoever built
    /// it (the derive and the model's validator both refuse one).
    pub fn key_column(&self) -> &'a ColumnDef<'a> {
        self.column(self.key)
            .expect("a projection's key is one of its columns")
    }

    /// The same columns under another table name: a rebuilt generation of the projection.
    pub fn renamed<'b>(&self, name: &'b str) -> TableSchema<'b>
    where
        'a: 'b,
    {
        TableSchema { name, ..*self }
    }
}
