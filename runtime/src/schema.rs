//! Table shapes for read models, described once and laid out by each read store its own way.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

/// The logical type of a read-model column. Each read store maps it to its own column type.
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
pub struct ColumnDef {
    pub name: &'static str,
    pub ty: ColumnType,
    pub nullable: bool,
}

/// A read-model table: its columns, its key, and the columns queries list by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSchema {
    pub name: &'static str,
    pub key: &'static str,
    pub columns: &'static [ColumnDef],
    /// Columns that list queries filter on; each gets an index ordered by (column, key).
    pub indexed: &'static [&'static str],
}

impl TableSchema {
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns.iter().find(|column| column.name == name)
    }

    pub fn key_column(&self) -> &ColumnDef {
        self.column(self.key)
            .expect("a projection's key is one of its columns")
    }
}

/// A Rust type that can be a read-model column. `#[derive(Projection)]` asks each field's type.
///
/// Enums declared in a model implement this as [`ColumnType::String`]; value objects as
/// [`ColumnType::Json`].
pub trait Column {
    const TYPE: ColumnType;
    const NULLABLE: bool = false;
}

macro_rules! columns {
    ($($rust:ty => $column:ident),* $(,)?) => {
        $(impl Column for $rust { const TYPE: ColumnType = ColumnType::$column; })*
    };
}

columns! {
    String => String,
    bool => Bool,
    i64 => Int,
    i32 => Int,
    u32 => Int,
    f64 => Float,
    Decimal => Decimal,
    Uuid => Uuid,
    DateTime<Utc> => Timestamp,
    NaiveDate => Date,
    serde_json::Value => Json,
}

impl<T> Column for Vec<T> {
    const TYPE: ColumnType = ColumnType::Json;
}

impl<T: Column> Column for Option<T> {
    const TYPE: ColumnType = T::TYPE;
    const NULLABLE: bool = true;
}
