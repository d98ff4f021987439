//! The model file as written: every value keeps the line and column it came from.
//!
//! Keys that the validator can explain better than serde (a missing `id`, a missing `emits`)
//! are `Option` here, so that one missing key does not hide every other problem.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer};
use serde_saphyr::Spanned;

/// Where a token starts and how many characters it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u64,
    pub column: u64,
    pub length: u64,
}

impl Pos {
    /// The start of the file, for problems that belong to no token (a missing top-level key).
    pub const START: Pos = Pos {
        line: 1,
        column: 1,
        length: 1,
    };

    pub fn of<T>(spanned: &Spanned<T>) -> Pos {
        let location = spanned.referenced;
        if location.line() == 0 {
            return Pos::START;
        }
        Pos {
            line: location.line(),
            column: location.column(),
            length: location.span().len().max(1),
        }
    }
}

/// A map that keeps its keys' order and locations, and lets the validator report duplicates.
#[derive(Debug)]
pub struct NamedMap<T>(pub Vec<(Spanned<String>, T)>);

impl<T> Default for NamedMap<T> {
    fn default() -> Self {
        NamedMap(Vec::new())
    }
}

impl<T> NamedMap<T> {
    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<String>, &T)> {
        self.0.iter().map(|(key, value)| (key, value))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for NamedMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for MapVisitor<T> {
            type Value = NamedMap<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of names")
            }

            // `enums:` with nothing after it is an empty map, not an error.
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(NamedMap::default())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(NamedMap(entries))
            }
        }

        deserializer.deserialize_any(MapVisitor(PhantomData))
    }
}

pub type Fields = NamedMap<FieldSpec>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub version: Option<Spanned<u64>>,
    pub service: Option<Spanned<String>>,
    pub description: Option<String>,
    pub stores: Option<Stores>,
    pub broker: Option<Spanned<String>>,
    /// One deployment for several tenants, each with stores of its own, the caller's tenant
    /// read from their token.
    pub tenants: Option<Spanned<Tenants>>,
    #[serde(default)]
    pub enums: NamedMap<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub values: NamedMap<Fields>,
    #[serde(default)]
    pub aggregates: NamedMap<Aggregate>,
    /// States folded from the events carrying some tags, for commands to read.
    #[serde(default)]
    pub facts: NamedMap<Fact>,
    #[serde(default)]
    pub projections: NamedMap<Projection>,
    #[serde(default)]
    pub queries: NamedMap<Query>,
    /// What the service does on its own when something happens: policies and process managers.
    #[serde(default)]
    pub workflows: NamedMap<Workflow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stores {
    pub write: Option<Spanned<String>>,
    pub read: Option<Spanned<String>>,
}

/// `tenants: { claim: org }`: the token claim naming the caller's tenant (`tenant` if left out).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenants {
    pub claim: Option<Spanned<String>>,
}

/// `name: int` or `name: { type: int, min: 1 }`.
#[derive(Debug)]
pub struct FieldSpec {
    pub ty: Spanned<String>,
    pub min: Option<Spanned<f64>>,
    pub max: Option<Spanned<f64>>,
    pub non_empty: Option<Spanned<bool>>,
    pub min_length: Option<Spanned<u64>>,
    pub max_length: Option<Spanned<u64>>,
    /// A regular expression a string must match.
    pub pattern: Option<Spanned<String>>,
    /// A value the generated tests and README send (a field with `pattern` needs one).
    pub example: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LongFieldSpec {
    #[serde(rename = "type")]
    ty: Spanned<String>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    non_empty: Option<Spanned<bool>>,
    min_length: Option<Spanned<u64>>,
    max_length: Option<Spanned<u64>>,
    pattern: Option<Spanned<String>>,
    example: Option<Spanned<String>>,
    #[serde(rename = "description")]
    _description: Option<String>,
}

enum FieldSpecForm {
    Short(String),
    Long(Box<LongFieldSpec>),
}

// A visitor rather than `#[serde(untagged)]`: untagged enums buffer their input and lose every
// location inside the long form.
impl<'de> Deserialize<'de> for FieldSpecForm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FormVisitor;

        impl<'de> Visitor<'de> for FormVisitor {
            type Value = FieldSpecForm;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a type such as `int`, or a map such as `{ type: int, min: 1 }`")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(FieldSpecForm::Short(v.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                LongFieldSpec::deserialize(MapAccessDeserializer::new(map))
                    .map(|long| FieldSpecForm::Long(Box::new(long)))
            }
        }

        deserializer.deserialize_any(FormVisitor)
    }
}

impl<'de> Deserialize<'de> for FieldSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let form = Spanned::<FieldSpecForm>::deserialize(deserializer)?;
        Ok(match form.value {
            FieldSpecForm::Short(ty) => FieldSpec {
                ty: Spanned::new(ty, form.referenced, form.defined),
                min: None,
                max: None,
                non_empty: None,
                min_length: None,
                max_length: None,
                pattern: None,
                example: None,
            },
            FieldSpecForm::Long(long) => FieldSpec {
                ty: long.ty,
                min: long.min,
                max: long.max,
                non_empty: long.non_empty,
                min_length: long.min_length,
                max_length: long.max_length,
                pattern: long.pattern,
                example: long.example,
            },
        })
    }
}

impl FieldSpec {
    /// Every rule that is set, with its key, for "rules are not allowed here" errors.
    pub fn rule_positions(&self) -> Vec<(&'static str, Pos)> {
        let mut rules = Vec::new();
        rules.extend(self.min.as_ref().map(|r| ("min", Pos::of(r))));
        rules.extend(self.max.as_ref().map(|r| ("max", Pos::of(r))));
        rules.extend(self.non_empty.as_ref().map(|r| ("non_empty", Pos::of(r))));
        rules.extend(self.min_length.as_ref().map(|r| ("min_length", Pos::of(r))));
        rules.extend(self.max_length.as_ref().map(|r| ("max_length", Pos::of(r))));
        rules.extend(self.pattern.as_ref().map(|r| ("pattern", Pos::of(r))));
        rules.extend(self.example.as_ref().map(|r| ("example", Pos::of(r))));
        rules
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    pub id: Option<Spanned<String>>,
    pub id_type: Option<Spanned<String>>,
    pub state: Option<Fields>,
    pub persistence: Option<Spanned<String>>,
    #[serde(default)]
    pub commands: NamedMap<Command>,
    #[serde(default)]
    pub events: NamedMap<Event>,
    /// State fields whose value no two aggregates of the type hold at once.
    #[serde(default)]
    pub unique: NamedMap<Unique>,
    /// Documentation only.
    #[serde(rename = "description")]
    pub _description: Option<String>,
}

/// `unique: { isbn: {} }`, or `{ email: { within: library_id } }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unique {
    /// Another state field: unique only among aggregates where it is the same.
    pub within: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    pub creates: Option<bool>,
    #[serde(default)]
    pub fields: Fields,
    #[serde(default)]
    pub guards: Vec<Spanned<Guard>>,
    pub emits: Option<Spanned<Vec<Spanned<String>>>>,
    /// Event fields the server fills instead of the client: `{ lent_at: now, due_on: now + 21d,
    /// loan_id: new_id, member: command.member_id }`.
    #[serde(default)]
    pub values: NamedMap<Spanned<String>>,
    /// Other aggregates the command reads, each by a field of the command holding its id.
    #[serde(default)]
    pub depends_on: NamedMap<Dependency>,
    /// The roles a caller needs one of to send it, when the service checks tokens.
    pub roles: Option<Spanned<Vec<Spanned<String>>>>,
    /// Documentation only.
    #[serde(rename = "description")]
    pub _description: Option<String>,
}

/// Another aggregate a command reads: which, by which of the command's fields, what must hold
/// of it, and the events the command records on it. Or a fact it reads, by the command's
/// fields holding its tags, and what must hold of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    pub aggregate: Option<Spanned<String>>,
    pub fact: Option<Spanned<String>>,
    /// A fact's tags, each read from a field of the command: `{ doctor_id: doctor }`. A tag
    /// not named here is read from the command's field of the same name.
    #[serde(default)]
    pub tags: NamedMap<Spanned<String>>,
    pub id: Option<Spanned<String>>,
    /// Whether it must exist (the default) or must not.
    pub exists: Option<Spanned<bool>>,
    #[serde(default)]
    pub guards: Vec<Spanned<Guard>>,
    pub emits: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    pub field: Option<Spanned<String>>,
    pub message: Option<String>,
    /// The stable reason clients match on when the guard refuses, e.g. `book_on_loan`.
    pub code: Option<Spanned<String>>,
    pub equals: Option<Spanned<Scalar>>,
    pub not_equals: Option<Spanned<Scalar>>,
    pub one_of: Option<Vec<Spanned<Scalar>>>,
    pub not_empty: Option<Spanned<bool>>,
    pub at_least: Option<Spanned<Scalar>>,
    pub at_most: Option<Spanned<Scalar>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub version: Option<Spanned<i64>>,
    #[serde(default)]
    pub fields: Fields,
    /// Fields whose values tag the event, for the facts that fold it.
    pub tags: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub apply: Changes,
    /// Fields that are personal data about a subject, sealed with the subject's key.
    pub personal: Option<Spanned<Personal>>,
    /// Documentation only.
    #[serde(rename = "description")]
    pub _description: Option<String>,
}

/// `personal: { fields: [name] }` (about the event's own aggregate), or
/// `{ fields: [note], about: Patient, id: patient_id }` (about another, by the event's field
/// holding its id).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Personal {
    pub fields: Spanned<Vec<Spanned<String>>>,
    pub about: Option<Spanned<String>>,
    pub id: Option<Spanned<String>>,
}

/// What an event does to a state or a row. Operations run in the order of the fields below.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    /// Each target from an event field, or `null` to clear an optional target.
    #[serde(default)]
    pub set: NamedMap<Spanned<Option<String>>>,
    #[serde(default)]
    pub set_const: NamedMap<Spanned<Scalar>>,
    #[serde(default)]
    pub increment: NamedMap<Spanned<Scalar>>,
    #[serde(default)]
    pub decrement: NamedMap<Spanned<Scalar>>,
    #[serde(default)]
    pub append: NamedMap<Spanned<String>>,
    #[serde(default)]
    pub remove: NamedMap<Spanned<String>>,
    pub delete: Option<Spanned<bool>>,
    pub key: Option<Spanned<String>>,
    /// Every row whose field holds a value of the event: `{ member_id: member_id }`.
    #[serde(default, rename = "where")]
    pub rows_where: NamedMap<Spanned<String>>,
    /// Fields copied from rows of other projections (projections only).
    #[serde(default)]
    pub copy: Vec<Spanned<Copy>>,
}

/// `{ from: MemberLoans, key: member_id, set: { member_name: name } }`: fields of the row of
/// another projection under a key the event gives, copied onto the rows the handler changes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Copy {
    pub from: Option<Spanned<String>>,
    pub key: Option<Spanned<String>>,
    /// Each field of this row from a field of that one.
    #[serde(default)]
    pub set: NamedMap<Spanned<String>>,
}

/// A state folded from every event carrying the same values of some tags: a doctor's
/// appointments on one day, a member's active loans.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    /// The fields, of every event it folds, that name one fact: `[doctor_id, day]`.
    pub tags: Option<Spanned<Vec<Spanned<String>>>>,
    pub state: Option<Fields>,
    /// How each event it folds changes its state.
    #[serde(default)]
    pub on: NamedMap<Changes>,
    /// Documentation only.
    #[serde(rename = "description")]
    pub _description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Projection {
    pub key: Option<Spanned<String>>,
    #[serde(default)]
    pub fields: Fields,
    #[serde(default)]
    pub on: NamedMap<Changes>,
    /// Documentation only.
    #[serde(rename = "description")]
    pub _description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    pub projection: Option<Spanned<String>>,
    pub get_by: Option<Spanned<String>>,
    /// The fields whose values the path gives: `list_by: author` or `list_by: [member, status]`.
    pub list_by: Option<Names>,
    /// Every row, page by page.
    pub list_all: Option<Spanned<bool>>,
    /// `due_on`, `due_on asc` or `due_on desc`: the order of the rows, then by key.
    pub order_by: Option<Spanned<String>>,
    /// A field whose range `?from=&before=` narrows the list: the field it is ordered by.
    pub range: Option<Spanned<String>>,
    /// The rows counted per value of this field.
    pub count_by: Option<Spanned<String>>,
    /// Number fields summed per group, beside the count.
    pub sum: Option<Spanned<Vec<Spanned<String>>>>,
    /// The roles a caller needs one of to ask it, when the service checks tokens.
    pub roles: Option<Spanned<Vec<Spanned<String>>>>,
    /// Documentation only.
    #[serde(rename = "description")]
    pub _description: Option<String>,
}

/// A policy (no `state`): commands sent on events. Or a process manager (with `state`): one
/// process per correlation value, with its own state, timers and compensations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workflow {
    /// The process's state (process managers only).
    pub state: Option<Fields>,
    /// What each event does.
    #[serde(default)]
    pub on: NamedMap<Reaction>,
    /// What each timer does when it fires (process managers only).
    #[serde(default)]
    pub timers: NamedMap<Reaction>,
    /// What is done when a command the workflow sent is refused (process managers only).
    #[serde(default)]
    pub refused: NamedMap<Reaction>,
    /// Documentation: the generated code's doc comment.
    pub description: Option<String>,
}

/// What a workflow does on an event, a timer or a refusal, in this order: changes its state,
/// sends commands, sets and drops timers, finishes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reaction {
    /// Whether this event starts a process.
    pub starts: Option<Spanned<bool>>,
    /// The event field holding the process's correlation; by default the event's aggregate id.
    pub correlate: Option<Spanned<String>>,
    /// How the event changes the process's state, as `apply` changes an aggregate's.
    #[serde(default)]
    pub apply: Changes,
    #[serde(default)]
    pub send: Vec<Spanned<Send>>,
    /// Timers to set, each by name: after a duration (`15m`, `21d`) or at a time field.
    #[serde(default)]
    pub schedule: NamedMap<Spanned<String>>,
    /// Timers to drop, by name.
    pub cancel: Option<Spanned<Vec<Spanned<String>>>>,
    /// Whether the process ends here.
    pub finish: Option<Spanned<bool>>,
}

/// `{ command: CancelOrder, to: correlation, fields: { reason: reason } }`: a command to send.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Send {
    pub command: Option<Spanned<String>>,
    /// The id of the aggregate it goes to: `id`, an event field, `correlation`,
    /// `state.<field>` or `command.<field>`.
    pub to: Option<Spanned<String>>,
    /// Each command field from a value, named as `to` is.
    #[serde(default)]
    pub fields: NamedMap<Spanned<String>>,
    /// Each command field from a constant.
    #[serde(default)]
    pub fields_const: NamedMap<Spanned<Scalar>>,
}

/// One name, or a list of them: `author` or `[member, status]`, each keeping where it was
/// written (a lone name, where the whole value was).
#[derive(Debug)]
pub struct Names(pub Spanned<Vec<Spanned<String>>>);

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        enum Form {
            One(String),
            Many(Vec<Spanned<String>>),
        }

        struct FormVisitor;

        impl<'de> Visitor<'de> for FormVisitor {
            type Value = Form;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name, or a list of them such as `[member, status]`")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Form::One(v.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element()? {
                    names.push(name);
                }
                Ok(Form::Many(names))
            }
        }

        impl<'de> Deserialize<'de> for Form {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(FormVisitor)
            }
        }

        let form = Spanned::<Form>::deserialize(deserializer)?;
        let names = match form.value {
            Form::One(name) => vec![Spanned::new(name, form.referenced, form.defined)],
            Form::Many(names) => names,
        };
        Ok(Names(Spanned::new(names, form.referenced, form.defined)))
    }
}

/// A YAML scalar whose meaning depends on the field it is compared with or assigned to.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    /// How it reads in a message.
    pub fn describe(&self) -> String {
        match self {
            Scalar::Null => "nothing".to_owned(),
            Scalar::Bool(b) => format!("`{b}`"),
            Scalar::Int(i) => format!("`{i}`"),
            Scalar::Float(f) => format!("`{f}`"),
            Scalar::Str(s) => format!("`{s}`"),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;

        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a single value (a name, a number, `true` or `false`)")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                i64::try_from(v)
                    .map(Scalar::Int)
                    .map_err(|_| E::custom("number too large"))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Scalar, A::Error> {
                Err(de::Error::invalid_type(de::Unexpected::Seq, &self))
            }
        }

        deserializer.deserialize_any(ScalarVisitor)
    }
}
