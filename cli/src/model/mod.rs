//! The model file: YAML in, a validated [`Model`](ir::Model) or every problem with its location out.
//!
//! Reading is two steps: serde-saphyr builds the `ast` (keeping the line and column of every
//! value), then `validate` resolves names and types into the [`ir`], collecting every problem.

mod ast;
mod indentation;
pub mod ir;
mod validate;

#[cfg(test)]
mod tests;

use std::path::Path;

use serde_saphyr::options::DuplicateKeyPolicy;
use serde_saphyr::{DefaultMessageFormatter, MessageFormatter};

use crate::diagnostic::{Diagnostic, Diagnostics};

/// The largest model file read. Real models are a few kilobytes; anything near this is the
/// wrong file, and refusing it early keeps a stray log or dump from eating memory.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// Reads and validates the model file at `path`.
pub fn load(path: &Path) -> Result<ir::Model, Diagnostics> {
    let file_name = path.display().to_string();
    read(path).map_or_else(
        |problem| Err(Diagnostics::new(file_name.as_str(), "", vec![problem])),
        |source| parse(&file_name, &source),
    )
}

/// The file's text, or why it cannot be a model, said plainly (there is no source to point at).
fn read(path: &Path) -> Result<String, Diagnostic> {
    let unreadable = |message: String, hint: Option<&str>| Diagnostic {
        line: 1,
        column: 1,
        length: 1,
        message,
        label: "unreadable".into(),
        hint: hint.map(str::to_owned),
    };
    let metadata = std::fs::metadata(path)
        .map_err(|error| unreadable(format!("cannot read the model file: {error}"), None))?;
    if metadata.is_dir() {
        return Err(unreadable(
            "the model path is a directory, not a file".to_owned(),
            Some("name the YAML file, e.g. `eventwright.yaml`"),
        ));
    }
    if metadata.len() > MAX_BYTES {
        return Err(unreadable(
            format!(
                "the model file is {:.1} MiB; a model is at most 1 MiB",
                metadata.len() as f64 / (1024.0 * 1024.0)
            ),
            Some("is this the right file? Models are usually a few kilobytes"),
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|error| unreadable(format!("cannot read the model file: {error}"), None))?;
    String::from_utf8(bytes).map_err(|error| {
        unreadable(
            format!(
                "the model file is not UTF-8 text (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            ),
            Some("a model is a YAML text file saved as UTF-8"),
        )
    })
}

/// Parses and validates a model; `file_name` is only used in messages.
pub fn parse(file_name: &str, source: &str) -> Result<ir::Model, Diagnostics> {
    let blank = source
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'));
    if blank {
        return Err(Diagnostics::new(
            file_name,
            source,
            vec![Diagnostic {
                line: 1,
                column: 1,
                length: 1,
                message: "the model file is empty".to_owned(),
                label: "expected `version: 1`".to_owned(),
                hint: Some(
                    "start with `version: 1` and `service: <name>`; examples/ordering.yaml is a \
                     complete model"
                        .to_owned(),
                ),
            }],
        ));
    }
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
                vec![syntax_error(&error, source)],
            ));
        }
    };
    validate::validate(&file, source).map_err(|items| Diagnostics::new(file_name, source, items))
}

/// A YAML or serde error as one diagnostic, with a "did you mean" for misspelled keys.
fn syntax_error(error: &serde_saphyr::Error, source: &str) -> Diagnostic {
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
        _ => {
            let message = DefaultMessageFormatter.format_message(inner).into_owned();
            if let Some(explained) = indentation::explain(source, line as usize, &message) {
                return Diagnostic {
                    line: explained.line as u64,
                    column: explained.column as u64,
                    length: 1,
                    message: explained.message,
                    label: "indentation".to_owned(),
                    hint: Some(explained.hint),
                };
            }
            let hint = message.contains("recursion limit").then(|| {
                "the YAML nests far deeper than a model does; is this the right file?".to_owned()
            });
            (message, "here", hint, 1)
        }
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
