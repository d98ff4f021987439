//! What the validator knows while it walks the file, and how it reports a problem.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_saphyr::Spanned;

use crate::diagnostic::Diagnostic;
use crate::model::ast::{self, Pos};
use crate::model::ir;

/// What the validator knows while it walks the file.
pub(super) struct Ctx<'a> {
    source: &'a str,
    pub diagnostics: Vec<Diagnostic>,
    pub enums: HashMap<String, Arc<ir::EnumDef>>,
    pub values: HashMap<String, Value<'a>>,
    /// The value objects being resolved, outermost first, each with the field whose type is being
    /// read: the path along which a value object that contains itself is reported.
    pub open_values: Vec<(String, String)>,
    /// Fields whose type did not resolve (already reported). They are left out of the model, so
    /// lookups of these names stay quiet instead of adding "no field" errors.
    pub unresolved: HashSet<String>,
}

/// A value object as the validator meets it: resolved on first use.
pub(super) enum Value<'a> {
    Declared(&'a ast::Fields),
    /// Its fields are being resolved: a field that leads back to it makes it contain itself.
    Open,
    Resolved(Arc<ir::ValueDef>),
}

impl<'a> Ctx<'a> {
    pub fn new(source: &'a str) -> Self {
        Ctx {
            source,
            diagnostics: Vec::new(),
            enums: HashMap::new(),
            values: HashMap::new(),
            open_values: Vec::new(),
            unresolved: HashSet::new(),
        }
    }

    pub fn error(
        &mut self,
        pos: Pos,
        message: impl Into<String>,
        label: impl Into<String>,
        hint: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            line: pos.line,
            column: pos.column,
            length: pos.length,
            message: message.into(),
            label: label.into(),
            hint,
        });
    }

    /// Whether a missing field was left out for a type already reported.
    pub fn reported(&self, field: &str) -> bool {
        self.unresolved.contains(field)
    }

    /// The position of `length` characters at `offset` inside a string value, so a problem in
    /// `list<OrderStatsu>` points at `OrderStatsu`.
    pub fn within(&self, value: &Spanned<String>, offset: usize, length: usize) -> Pos {
        let pos = Pos::of(value);
        let line = self
            .source
            .lines()
            .nth(pos.line.saturating_sub(1) as usize)
            .unwrap_or("");
        let first = line.chars().nth(pos.column.saturating_sub(1) as usize);
        let quoted = matches!(first, Some('"' | '\''));
        // Only a single-line value maps offsets to columns one to one.
        if value.value.contains('\n') {
            return pos;
        }
        let chars_before = value.value[..offset].chars().count() as u64;
        Pos {
            line: pos.line,
            column: pos.column + u64::from(quoted) + chars_before,
            length: value.value[offset..offset + length].chars().count().max(1) as u64,
        }
    }

    /// The text of a value as written in the file (decimals are kept that way).
    pub fn raw_text<T>(&self, value: &Spanned<T>) -> Option<&'a str> {
        let span = value.referenced.span();
        let start = usize::try_from(span.byte_offset()?).ok()?;
        let len = usize::try_from(span.byte_len()?).ok()?;
        self.source.get(start..start + len)
    }
}
