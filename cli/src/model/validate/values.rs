//! `values:` on a command: event fields the server fills instead of the client, each read as
//! an expression (`now`, `now + 21d`, `new_id`, `state.<field>`, `command.<field>`,
//! `<dependency>.<field>`) and checked against the type of every event field it feeds.

use std::cell::RefCell;

use serde_saphyr::Spanned;

use super::ctx::Ctx;
use super::{names, personal};
use crate::model::ast::{NamedMap, Pos};
use crate::model::ir::{self, Field, FieldSource, Offset, ServedValue, Source, TimeUnit, Type};

const FORMS: &str = "`now`, `now + 21d` (d, h, m or s), `new_id`, `state.<field>`, \
                     `command.<field>` or `<dependency>.<field>`";

/// What one `values` entry says, before it meets an event field.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Now(Offset),
    NewId,
    Command(Field),
    State(Field),
    /// A field of the state of the aggregate the command reads as `from`.
    Consulted {
        from: String,
        field: Field,
    },
}

struct Entry<'a> {
    key: &'a Spanned<String>,
    at: &'a Spanned<String>,
    expr: Expr,
    /// The kind of subject it is personal data about, when it reads a state field a personal
    /// field was copied into.
    about: Option<String>,
    /// The type of the first event field it fed (without `Option`); `None` while it feeds
    /// nothing.
    fed: RefCell<Option<Type>>,
}

/// A command's `values`, each parsed; the ones that did not parse are reported and left out.
pub(super) struct ServerValues<'a> {
    entries: Vec<Entry<'a>>,
    /// The names of entries that did not parse: their fields are reported already.
    failed: Vec<&'a str>,
}

impl<'a> ServerValues<'a> {
    pub(super) fn parse(
        ctx: &mut Ctx,
        written: &'a NamedMap<Spanned<String>>,
        command: Command<'_>,
    ) -> Self {
        let mut entries = Vec::new();
        let mut failed = Vec::new();
        for (key, at) in written.iter() {
            match expr(ctx, at, &command) {
                Some(expr) => entries.push(Entry {
                    key,
                    at,
                    about: about(&expr, &command),
                    expr,
                    fed: RefCell::new(None),
                }),
                None => failed.push(key.value.as_str()),
            }
        }
        Self { entries, failed }
    }

    /// Where `values` says the event field `needed` comes from, checked against its type:
    /// `None` when `values` does not name it, `Some(None)` when it does but cannot feed it
    /// (reported).
    pub(super) fn source(
        &self,
        ctx: &mut Ctx,
        needed: &Field,
        on: &ir::Event,
    ) -> Option<Option<FieldSource>> {
        let event = on.name.as_str();
        if self.failed.contains(&needed.name.as_str()) {
            return Some(None);
        }
        let entry = self.entries.iter().find(|e| e.key.value == needed.name)?;
        let base = needed.ty.required();
        // One value per command, whichever events carry it: all the same type.
        let first = entry
            .fed
            .borrow_mut()
            .get_or_insert_with(|| base.clone())
            .clone();
        if &first != base {
            ctx.error(
                Pos::of(entry.at),
                format!(
                    "`{}` is `{base}` in `{event}` but `{first}` in an event before it; one \
                     value feeds both",
                    needed.name
                ),
                "two types",
                None,
            );
            return Some(None);
        }
        let fits = match (&entry.expr, base) {
            (Expr::Now(_), Type::Timestamp) | (Expr::NewId, Type::Uuid | Type::String) => true,
            (Expr::Now(offset), Type::Date) => {
                if offset.unit != TimeUnit::Days {
                    ctx.error(
                        Pos::of(entry.at),
                        format!(
                            "`{}` is a date in `{event}`, which moves by whole days",
                            needed.name
                        ),
                        "not whole days",
                        Some("write the offset in days, like `now + 21d`".into()),
                    );
                    return Some(None);
                }
                true
            }
            (Expr::Command(field) | Expr::State(field) | Expr::Consulted { field, .. }, _) => {
                let wrapped = needed.ty == Type::Optional(Box::new(field.ty.clone()));
                let whose = match &entry.expr {
                    Expr::State(_) => "the state".to_owned(),
                    Expr::Consulted { from, .. } => format!("the state of `{from}`"),
                    _ => "the command".to_owned(),
                };
                if field.ty != needed.ty && !wrapped {
                    ctx.error(
                        Pos::of(entry.at),
                        format!(
                            "`{}` is `{}` in `{event}`, but `{}` is `{}` in {whose}",
                            needed.name, needed.ty, field.name, field.ty
                        ),
                        "another type",
                        None,
                    );
                    return Some(None);
                }
                if let Some(about) = &entry.about {
                    let what = format!("`{}`", entry.at.value.trim());
                    personal::refuse_unsealed(
                        ctx,
                        Pos::of(entry.at),
                        &what,
                        about,
                        on,
                        &needed.name,
                    );
                }
                let source = match &entry.expr {
                    Expr::State(field) => Source::State(field.clone()),
                    Expr::Consulted { from, field } => Source::Consulted {
                        from: from.clone(),
                        field: field.clone(),
                    },
                    _ => Source::CommandField(field.clone()),
                };
                return Some(Some(FieldSource {
                    field: needed.clone(),
                    source,
                    wrap_some: wrapped,
                }));
            }
            _ => false,
        };
        if !fits {
            let what = match entry.expr {
                Expr::Now(_) => "a time: it needs a timestamp or date field",
                _ => "an id: it needs a uuid or string field",
            };
            ctx.error(
                Pos::of(entry.at),
                format!(
                    "`{}` is `{}` in `{event}`, and `{}` is {what}",
                    needed.name, needed.ty, entry.at.value
                ),
                "another type",
                None,
            );
            return Some(None);
        }
        let source = match &entry.expr {
            Expr::Now(offset) => Source::Now(*offset),
            _ => Source::NewId,
        };
        Some(Some(FieldSource {
            field: needed.clone(),
            source,
            wrap_some: matches!(needed.ty, Type::Optional(_)),
        }))
    }

    /// Whether `values` names an event field `name`.
    pub(super) fn names(&self, name: &str) -> bool {
        self.entries.iter().any(|entry| entry.key.value == name) || self.failed.contains(&name)
    }

    /// The values the server makes, each once per command, in the order written.
    pub(super) fn served(&self) -> Vec<ServedValue> {
        self.entries
            .iter()
            .filter_map(|entry| {
                let ty = entry.fed.borrow().clone()?;
                let source = match entry.expr {
                    Expr::Now(offset) => Source::Now(offset),
                    Expr::NewId => Source::NewId,
                    Expr::Command(_) | Expr::State(_) | Expr::Consulted { .. } => return None,
                };
                Some(ServedValue {
                    name: entry.key.value.clone(),
                    source,
                    ty,
                })
            })
            .collect()
    }

    /// Reports each entry that no emitted event has a field for.
    pub(super) fn report_unused(&self, ctx: &mut Ctx, command: &str) {
        for entry in self.entries.iter().filter(|e| e.fed.borrow().is_none()) {
            ctx.error(
                Pos::of(entry.key),
                format!(
                    "no event that `{command}` records has a field `{}`",
                    entry.key.value
                ),
                "feeds nothing",
                Some("name a field of an event in `emits`".into()),
            );
        }
    }
}

/// The command whose `values` are read: what they may name.
pub(super) struct Command<'c> {
    pub name: &'c str,
    pub fields: &'c [Field],
    /// Its aggregate's state fields, and whether the command creates the aggregate (then it
    /// has no state to read).
    pub state: &'c [Field],
    pub creates: bool,
    /// What it reads under `depends_on`, by name.
    pub consulted: Vec<(&'c str, Consulted<'c>)>,
    /// The state fields holding personal data, and the kind of subject each is about.
    pub personal: Vec<(String, String)>,
}

/// What `values` may read of something a command names under `depends_on`.
pub(super) enum Consulted<'c> {
    /// An aggregate that must exist: its state fields, its name, and the state fields holding
    /// personal data (with the kind of subject each is about).
    State(&'c [Field], &'c str, Vec<(String, String)>),
    /// An aggregate that must not exist: there is no state to read.
    Absent,
    /// A fact: its state decides guards, and changes with every event it folds, so it feeds
    /// no event.
    Fact,
    /// Something the model does not declare, reported where `depends_on` names it.
    Unknown,
}

/// The kind of subject `expr` reads personal data about, if it does.
fn about(expr: &Expr, on: &Command) -> Option<String> {
    let (personal, field) = match expr {
        Expr::State(field) => (&on.personal, field),
        Expr::Consulted { from, field } => {
            let personal = on
                .consulted
                .iter()
                .find_map(|(read, consulted)| match consulted {
                    Consulted::State(_, _, personal) if read == from => Some(personal),
                    _ => None,
                })?;
            (personal, field)
        }
        Expr::Now(_) | Expr::NewId | Expr::Command(_) => return None,
    };
    personal
        .iter()
        .find(|(name, _)| *name == field.name)
        .map(|(_, about)| about.clone())
}

fn expr(ctx: &mut Ctx, at: &Spanned<String>, on: &Command) -> Option<Expr> {
    let text = at.value.trim();
    if text == "new_id" {
        return Some(Expr::NewId);
    }
    if let Some(name) = text.strip_prefix("command.") {
        let field = named(ctx, at, name, on.fields, &format!("command `{}`", on.name))?;
        return Some(Expr::Command(field));
    }
    if let Some(name) = text.strip_prefix("state.") {
        if on.creates {
            ctx.error(
                Pos::of(at),
                format!(
                    "`{}` creates its aggregate, which has no state yet to read",
                    on.name
                ),
                "no state yet",
                None,
            );
            return None;
        }
        let field = named(ctx, at, name, on.state, "the state")?;
        return Some(Expr::State(field));
    }
    if let Some((from, name)) = text.split_once('.')
        && let Some((from, consulted)) = on.consulted.iter().find(|(read, _)| *read == from)
    {
        let refused = match consulted {
            Consulted::State(state, aggregate, _) => {
                let whose = format!("the state of `{from}` ({aggregate})");
                let field = named(ctx, at, name, state, &whose)?;
                return Some(Expr::Consulted {
                    from: (*from).to_owned(),
                    field,
                });
            }
            Consulted::Unknown => return None,
            Consulted::Absent => format!("`{from}` must not exist, so it has no state to read"),
            Consulted::Fact => {
                format!("`{from}` is a fact: its state decides guards but feeds no event")
            }
        };
        ctx.error(Pos::of(at), refused, "nothing to read", None);
        return None;
    }
    if let Some(rest) = text.strip_prefix("now")
        && let Some(offset) = offset(rest.trim())
    {
        return Some(Expr::Now(offset));
    }
    ctx.error(
        Pos::of(at),
        format!("`{text}` is not a value the server can fill"),
        "unknown value",
        Some(format!("write {FORMS}")),
    );
    None
}

/// The field `name` of `fields`, or a reported error naming `whose` they are.
fn named(
    ctx: &mut Ctx,
    at: &Spanned<String>,
    name: &str,
    fields: &[Field],
    whose: &str,
) -> Option<Field> {
    let found = fields.iter().find(|f| f.name == name).cloned();
    if found.is_none() {
        let hint = names::did_you_mean(name, fields.iter().map(|f| f.name.as_str()));
        ctx.error(
            Pos::of(at),
            format!("{whose} has no field `{name}`"),
            "no such field",
            hint,
        );
    }
    found
}

/// `now`, `now + 21d`: as a model writes it.
pub(super) fn show_offset(offset: &Offset) -> String {
    if offset.amount == 0 {
        return "now".to_owned();
    }
    let sign = if offset.amount < 0 { '-' } else { '+' };
    let unit = match offset.unit {
        TimeUnit::Days => 'd',
        TimeUnit::Hours => 'h',
        TimeUnit::Minutes => 'm',
        TimeUnit::Seconds => 's',
    };
    format!("now {sign} {}{unit}", offset.amount.unsigned_abs())
}

/// `""`, `+ 21d`, `- 3h`: how far from now.
pub(super) fn offset(text: &str) -> Option<Offset> {
    if text.is_empty() {
        return Some(Offset::NONE);
    }
    let (sign, rest) = match text.split_at_checked(1)? {
        ("+", rest) => (1, rest.trim()),
        ("-", rest) => (-1, rest.trim()),
        _ => return None,
    };
    let unit = match rest.chars().last()? {
        'd' => TimeUnit::Days,
        'h' => TimeUnit::Hours,
        'm' => TimeUnit::Minutes,
        's' => TimeUnit::Seconds,
        _ => return None,
    };
    let digits = &rest[..rest.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: i64 = digits.parse().ok()?;
    // Beyond a century either way is a typo, and far past what a timestamp holds.
    (amount <= 36_500 * 86_400).then_some(Offset {
        amount: sign * amount,
        unit,
    })
}

#[cfg(test)]
mod tests {
    use super::offset;
    use crate::model::ir::{Offset, TimeUnit};

    #[test]
    fn offsets_are_signed_amounts_of_one_unit() {
        assert_eq!(offset(""), Some(Offset::NONE));
        assert_eq!(
            offset("+ 21d"),
            Some(Offset {
                amount: 21,
                unit: TimeUnit::Days
            })
        );
        assert_eq!(
            offset("-90m"),
            Some(Offset {
                amount: -90,
                unit: TimeUnit::Minutes
            })
        );
        for wrong in [
            "+21",
            "21d",
            "+ d",
            "+ 2w",
            "+ -3d",
            "* 2d",
            "+ 99999999999999s",
        ] {
            assert_eq!(offset(wrong), None, "{wrong}");
        }
    }
}
