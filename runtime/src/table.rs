//! Read-model tables: their shape ([`TableSchema`], defined with every other table eventwright
//! keeps, in `eventwright-tables`) and the Rust types that can be their columns ([`Column`]).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

pub use eventwright_tables::{ColumnDef, ColumnType, Index, Summary, TableSchema, Term};

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
