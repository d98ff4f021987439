//! AST in, [`ir::Model`] out: resolves every name and type, and collects every problem.

mod aggregates;
mod changes;
mod names;
mod projections;
mod queries;
mod types;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::ast::{self, Pos};
use super::ir;
use crate::diagnostic::Diagnostic;

pub(crate) use names::did_you_mean;

/// What the validator knows while it walks the file.
pub(crate) struct Ctx<'a> {
    source: &'a str,
    diagnostics: Vec<Diagnostic>,
    enums: HashMap<String, Arc<ir::EnumDef>>,
    /// Value-object name → its fields, resolved on first use.
    values: HashMap<String, types::Value<'a>>,
    /// The value objects being resolved, outermost first, each with the field whose type is being
    /// read: the path along which a value object that contains itself is reported.
    open_values: Vec<(String, String)>,
    /// Fields whose type did not resolve (already reported). They are left out of the model, so
    /// lookups of these names stay quiet instead of adding "no field" errors.
    unresolved: HashSet<String>,
}

impl<'a> Ctx<'a> {
    fn error(
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
    fn reported(&self, field: &str) -> bool {
        self.unresolved.contains(field)
    }

    /// The position of `length` characters at `offset` inside a string value, so a problem in
    /// `list<OrderStatsu>` points at `OrderStatsu`.
    fn within(&self, value: &Spanned<String>, offset: usize, length: usize) -> Pos {
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
    fn raw_text<T>(&self, value: &Spanned<T>) -> Option<&'a str> {
        let span = value.referenced.span();
        let start = usize::try_from(span.byte_offset()?).ok()?;
        let len = usize::try_from(span.byte_len()?).ok()?;
        self.source.get(start..start + len)
    }
}

/// Checks the whole file; returns the model only when there is nothing to report.
pub(crate) fn validate<'a>(
    file: &'a ast::File,
    source: &'a str,
) -> Result<ir::Model, Vec<Diagnostic>> {
    let mut ctx = Ctx {
        source,
        diagnostics: Vec::new(),
        enums: HashMap::new(),
        values: HashMap::new(),
        open_values: Vec::new(),
        unresolved: HashSet::new(),
    };

    match &file.version {
        None => ctx.error(
            Pos::START,
            "the model has no `version`",
            "expected `version: 1`",
            Some("add `version: 1` at the top".into()),
        ),
        Some(v) if v.value != 1 => ctx.error(
            Pos::of(v),
            format!("unsupported model version {}", v.value),
            "unknown version",
            Some("this eventwright reads `version: 1`".into()),
        ),
        Some(_) => {}
    }
    let service = match &file.service {
        None => {
            ctx.error(
                Pos::START,
                "the model has no `service`",
                "expected `service: <name>`",
                Some("add `service: my-service`; it becomes the crate name".into()),
            );
            String::new()
        }
        Some(s) => {
            names::service(&mut ctx, s);
            s.value.clone()
        }
    };
    let stores = stores(&mut ctx, file);

    names::type_namespace(&mut ctx, file);
    let enums = enums(&mut ctx, file);
    let values = types::values(&mut ctx, &file.values);
    let aggregates: Vec<ir::Aggregate> = file
        .aggregates
        .iter()
        .map(|(name, aggregate)| aggregates::aggregate(&mut ctx, name, aggregate))
        .collect();
    let mut projections: Vec<projections::Draft> = file
        .projections
        .iter()
        .map(|(name, projection)| projections::projection(&mut ctx, name, projection, &aggregates))
        .collect();
    let queries = queries::queries(&mut ctx, &file.queries, &mut projections, stores.read);

    if !ctx.diagnostics.is_empty() {
        return Err(ctx.diagnostics);
    }
    // With nothing reported, every projection has its key, so every query finds its projection.
    let projections: Vec<Option<Arc<ir::Projection>>> = projections
        .into_iter()
        .map(|draft| draft.finish().map(Arc::new))
        .collect();
    let queries = queries
        .into_iter()
        .filter_map(|query| query.finish(&projections))
        .collect();
    let projections = projections.into_iter().flatten().collect();
    Ok(ir::Model {
        service,
        description: file.description.clone(),
        stores,
        enums,
        values,
        aggregates,
        projections,
        queries,
    })
}

fn stores(ctx: &mut Ctx, file: &ast::File) -> ir::Stores {
    let write = file.stores.as_ref().and_then(|s| s.write.as_ref());
    let read = file.stores.as_ref().and_then(|s| s.read.as_ref());
    let write = match write {
        None => ir::WriteStore::Sqlite,
        Some(w) => match w.value.as_str() {
            "sqlite" => ir::WriteStore::Sqlite,
            "postgres" => ir::WriteStore::Postgres,
            _ => unknown_choice(
                ctx,
                w,
                "write store",
                &["sqlite", "postgres"],
                ir::WriteStore::Sqlite,
            ),
        },
    };
    let read = match read {
        None => ir::ReadStore::Sqlite,
        Some(r) => match r.value.as_str() {
            "sqlite" => ir::ReadStore::Sqlite,
            "postgres" => ir::ReadStore::Postgres,
            "cassandra" => ir::ReadStore::Cassandra,
            _ => unknown_choice(
                ctx,
                r,
                "read store",
                &["sqlite", "postgres", "cassandra"],
                ir::ReadStore::Sqlite,
            ),
        },
    };
    let broker = match &file.broker {
        None => ir::Broker::Inproc,
        Some(b) => match b.value.as_str() {
            "inproc" => ir::Broker::Inproc,
            "kafka" => ir::Broker::Kafka,
            _ => unknown_choice(ctx, b, "broker", &["inproc", "kafka"], ir::Broker::Inproc),
        },
    };
    ir::Stores {
        write,
        read,
        broker,
    }
}

fn unknown_choice<T>(
    ctx: &mut Ctx,
    value: &Spanned<String>,
    what: &str,
    known: &[&str],
    result: T,
) -> T {
    let hint = names::did_you_mean(&value.value, known.iter().copied())
        .or_else(|| Some(format!("the known {what}s are {}", known.join(", "))));
    ctx.error(
        Pos::of(value),
        format!("unknown {what} `{}`", value.value),
        format!("not a {what}"),
        hint,
    );
    result
}

fn enums(ctx: &mut Ctx, file: &ast::File) -> Vec<Arc<ir::EnumDef>> {
    file.enums
        .iter()
        .map(|(name, variants)| {
            if variants.value.is_empty() {
                ctx.error(
                    Pos::of(name),
                    format!("enum `{}` has no variants", name.value),
                    "empty enum",
                    Some("list its variants, like `[Draft, Done]`".into()),
                );
            }
            for variant in &variants.value {
                names::upper_camel(ctx, variant, "enum variant");
            }
            names::unique(ctx, variants.value.iter(), "variant");
            let def = Arc::new(ir::EnumDef {
                name: name.value.clone(),
                variants: variants.value.iter().map(|v| v.value.clone()).collect(),
            });
            ctx.enums.insert(name.value.clone(), Arc::clone(&def));
            def
        })
        .collect()
}
