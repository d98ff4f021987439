//! Problems found in a model file, each pointing at a line and column, rendered like rustc's.

use std::fmt;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde_json::json;

/// One problem at one place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based.
    pub line: u64,
    /// 1-based, in characters.
    pub column: u64,
    /// How many characters the caret underlines (at least 1).
    pub length: u64,
    pub message: String,
    /// Short text under the caret.
    pub label: String,
    pub hint: Option<String>,
}

/// Every problem found in one file, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    pub file: String,
    pub source: String,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Sorts `items` into source order (stable, so problems at one place keep their order).
    pub fn new(
        file: impl Into<String>,
        source: impl Into<String>,
        mut items: Vec<Diagnostic>,
    ) -> Self {
        items.sort_by_key(|d| (d.line, d.column));
        Diagnostics {
            file: file.into(),
            source: source.into(),
            items,
        }
    }

    /// For `--format json`: one object per problem.
    pub fn to_json(&self) -> serde_json::Value {
        self.items
            .iter()
            .map(|d| {
                json!({
                    "file": self.file,
                    "line": d.line,
                    "column": d.column,
                    "message": d.message,
                    "label": d.label,
                    "hint": d.hint,
                })
            })
            .collect()
    }

    /// The byte range a diagnostic underlines, clamped to its line.
    fn byte_range(&self, d: &Diagnostic) -> std::ops::Range<usize> {
        let mut line_start = 0;
        for _ in 1..d.line {
            match self.source[line_start..].find('\n') {
                Some(newline) => line_start += newline + 1,
                None => break,
            }
        }
        let line = self.source[line_start..]
            .split('\n')
            .next()
            .unwrap_or("")
            .trim_end_matches('\r');
        let byte_at = |column: u64| {
            line.char_indices()
                .nth(column.saturating_sub(1) as usize)
                .map_or(line.len(), |(i, _)| i)
        };
        let start = byte_at(d.column);
        let end = byte_at(d.column + d.length.max(1)).max(start);
        line_start + start..line_start + end
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let renderer = Renderer::plain();
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            // Nothing to quote (an unreadable, oversized or empty file): the file as a whole,
            // from its start.
            if self.source.trim().is_empty() {
                write!(
                    f,
                    "error: {}\n --> {}:{}:{}",
                    d.message, self.file, d.line, d.column
                )?;
                if let Some(hint) = &d.hint {
                    write!(f, "\n  = hint: {hint}")?;
                }
                continue;
            }
            let snippet = Snippet::source(self.source.as_str())
                .path(self.file.as_str())
                .annotation(
                    AnnotationKind::Primary
                        .span(self.byte_range(d))
                        .label(d.label.as_str()),
                );
            let mut group: Group<'_> = Level::ERROR
                .primary_title(d.message.as_str())
                .element(snippet);
            if let Some(hint) = &d.hint {
                group = group.element(Level::HELP.with_name("hint").message(hint.as_str()));
            }
            f.write_str(&renderer.render(&[group]))?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
