//! The model file: YAML in, a validated [`Model`](ir::Model) or every problem with its location out.
//!
//! Reading is two steps: serde-saphyr builds the `ast` (keeping the line and column of every
//! value), then `validate` resolves names and types into the [`ir`], collecting every problem.

mod ast;
pub mod ir;
mod validate;

#[cfg(test)]
mod tests;

use std::path::Path;

use serde_saphyr::options::DuplicateKeyPolicy;
use serde_saphyr::{DefaultMessageFormatter, MessageFormatter};

use crate::diagnostic::{Diagnostic, Diagnostics};

/// Reads and validates the model file at `path`.
pub fn load(path: &Path) -> Result<ir::Model, Diagnostics> {
    let file_name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(source) => parse(&file_name, &source),
        Err(error) => Err(Diagnostics::new(
            file_name,
            "",
            vec![Diagnostic {
                line: 1,
                column: 1,
                length: 1,
                message: format!("cannot read the model file: {error}"),
                label: "unreadable".into(),
                hint: None,
            }],
        )),
    }
}

/// Parses and validates a model; `file_name` is only used in messages.
pub fn parse(file_name: &str, source: &str) -> Result<ir::Model, Diagnostics> {
    // Duplicate keys reach our visitors, which report every duplicate name, not just the first.
    let lenient = serde_saphyr::options! { duplicate_keys: DuplicateKeyPolicy::PassThrough };
    let file: ast::File = match serde_saphyr::from_str_with_options(source, lenient) {
        Ok(file) => file,
        Err(error) => {
            // A key repeated in a fixed struct (two `service:`) carries no location in that mode;
            // the strict mode locates it.
            let error = match error.location() {
                Some(_) => error,
                None => serde_saphyr::from_str::<ast::File>(source)
                    .err()
                    .unwrap_or(error),
            };
            return Err(Diagnostics::new(
                file_name,
                source,
                vec![syntax_error(&error)],
            ));
        }
    };
    validate::validate(&file, source).map_err(|items| Diagnostics::new(file_name, source, items))
}

/// A YAML or serde error as one diagnostic, with a "did you mean" for misspelled keys.
fn syntax_error(error: &serde_saphyr::Error) -> Diagnostic {
    let inner = error.without_snippet();
    let (line, column) = inner
        .location()
        .map_or((1, 1), |l| (l.line().max(1), l.column().max(1)));
    let (message, label, hint, length) = match inner {
        serde_saphyr::Error::SerdeUnknownField {
            field, expected, ..
        } => (
            format!("unknown key `{field}`"),
            "unknown key",
            validate::did_you_mean(field, expected.iter().copied())
                .or_else(|| Some(format!("the keys allowed here are {}", expected.join(", ")))),
            field.chars().count() as u64,
        ),
        serde_saphyr::Error::DuplicateMappingKey { key: Some(key), .. } => (
            format!("duplicate key `{key}`"),
            "repeated key",
            Some("keep one of them".to_owned()),
            key.chars().count() as u64,
        ),
        _ => (
            DefaultMessageFormatter.format_message(inner).into_owned(),
            "here",
            None,
            1,
        ),
    };
    let label = label.to_owned();
    Diagnostic {
        line,
        column,
        length,
        message,
        label,
        hint,
    }
}
