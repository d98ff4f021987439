//! The vocabulary of a model: field types and their rules, constants, and times.

use std::fmt;
use std::sync::Arc;

use eventwright_tables::ColumnType;

/// A field type.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    String,
    Bool,
    Int,
    Float,
    Decimal,
    Uuid,
    Timestamp,
    Date,
    /// An enum declared in the model: the same definition as in [`Model::enums`].
    Enum(Arc<EnumDef>),
    /// A value object declared in the model: the same definition as in [`Model::values`].
    Value(Arc<ValueDef>),
    List(Box<Type>),
    Optional(Box<Type>),
}

impl Type {
    /// The read-model column type of a field of this type, and whether it may be null: what
    /// `eventwright::Column` says of the Rust type the field gets (enums are text, lists and
    /// value objects JSON).
    pub fn column_type(&self) -> (ColumnType, bool) {
        let column = match self {
            Type::Optional(inner) => return (inner.column_type().0, true),
            Type::String | Type::Enum(_) => ColumnType::String,
            Type::Bool => ColumnType::Bool,
            Type::Int => ColumnType::Int,
            Type::Float => ColumnType::Float,
            Type::Decimal => ColumnType::Decimal,
            Type::Uuid => ColumnType::Uuid,
            Type::Timestamp => ColumnType::Timestamp,
            Type::Date => ColumnType::Date,
            Type::Value(_) | Type::List(_) => ColumnType::Json,
        };
        (column, false)
    }

    /// The type a value has when there is one: `date?` is `date`. An optional is never
    /// optional again, so one level is all there is.
    pub fn required(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }

    /// A timestamp or a date, perhaps optional: what guards compare with now.
    pub fn is_time(&self) -> bool {
        matches!(self.required(), Type::Timestamp | Type::Date)
    }
}

impl fmt::Display for Type {
    /// The type as the model file spells it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Decimal => f.write_str("decimal"),
            Type::Uuid => f.write_str("uuid"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Date => f.write_str("date"),
            Type::Enum(def) => f.write_str(&def.name),
            Type::Value(def) => f.write_str(&def.name),
            Type::List(inner) => write!(f, "list<{inner}>"),
            Type::Optional(inner) => write!(f, "optional<{inner}>"),
        }
    }
}

/// Field-level validation rules (commands and value objects).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub non_empty: bool,
    /// Inclusive numeric bounds (int, float, decimal).
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Inclusive length bounds, in characters for strings and elements for lists.
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// A regular expression a string must match (checked by garde, with the `regex` engine).
    pub pattern: Option<String>,
    /// The value examples use for a string (it passes every rule above).
    pub example: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    pub rules: Rules,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumDef {
    pub name: String,
    /// At least one.
    pub variants: Vec<String>,
}

/// A value object. It never contains itself, so its fields' types are finite trees.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueDef {
    pub name: String,
    pub fields: Vec<Field>,
}

/// A constant, already checked against the type of the field it is compared with or assigned to.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A decimal, kept as written.
    Decimal(String),
    String(String),
    Variant {
        enum_name: String,
        variant: String,
    },
}

/// A number: a constant or a field of the command (guards) or event (changes).
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Literal(Literal),
    Field(Field),
    /// The time the command is decided, moved by an offset, for a timestamp or date field.
    Now(Offset),
}

/// How far from now a value is: `now + 21d` is 21 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    /// Signed: `now - 3d` is -3.
    pub amount: i64,
    pub unit: TimeUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Days,
    Hours,
    Minutes,
    Seconds,
}

impl Offset {
    pub const NONE: Offset = Offset {
        amount: 0,
        unit: TimeUnit::Days,
    };
}
