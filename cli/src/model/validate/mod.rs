//! AST in, [`ir::Model`] out: resolves every name and type, and collects every problem.

mod aggregates;
mod changes;
mod commands;
mod copies;
mod ctx;
mod dependencies;
mod facts;
mod guards;
mod literals;
mod names;
mod personal;
mod projections;
mod queries;
mod roles;
mod tenancy;
mod types;
mod values;
mod workflows;

use std::sync::Arc;

use serde_saphyr::Spanned;

use crate::diagnostic::Diagnostic;
use crate::model::ast::{self, Pos};
use crate::model::ir;
use ctx::Ctx;

pub(crate) use names::did_you_mean;

/// Checks the whole file; returns the model only when there is nothing to report.
pub(crate) fn validate<'a>(
    file: &'a ast::File,
    source: &'a str,
) -> Result<ir::Model, Vec<Diagnostic>> {
    let mut ctx = Ctx::new(source);

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
    let tenancy = tenancy::tenancy(&mut ctx, file.tenants.as_ref());

    names::type_namespace(&mut ctx, file);
    let enums = enums(&mut ctx, file);
    let values = types::values(&mut ctx, &file.values);
    let names: Vec<&str> = file
        .aggregates
        .iter()
        .map(|(name, _)| name.value.as_str())
        .collect();
    let mut aggregates: Vec<ir::Aggregate> = file
        .aggregates
        .iter()
        .map(|(name, aggregate)| aggregates::aggregate(&mut ctx, name, aggregate, &names))
        .collect();
    // Facts fold events of any aggregate, and commands read facts: between the two.
    let facts = facts::facts(&mut ctx, &file.facts, &aggregates);
    let commands: Vec<Vec<ir::Command>> = file
        .aggregates
        .iter()
        .zip(&aggregates)
        .map(|((name, ast), own)| {
            aggregates::commands(&mut ctx, name, ast, own, &aggregates, &facts)
        })
        .collect();
    for (aggregate, commands) in aggregates.iter_mut().zip(commands) {
        aggregate.commands = commands;
    }
    personal::check_subject_ids(&mut ctx, file, &aggregates);
    let mut projections: Vec<projections::Draft> = file
        .projections
        .iter()
        .map(|(name, projection)| {
            projections::projection(&mut ctx, name, projection, &aggregates, stores.read)
        })
        .collect();
    copies::copies(&mut ctx, &file.projections, &aggregates, &mut projections);
    let queries = queries::queries(&mut ctx, &file.queries, &mut projections, stores.read);
    let workflows = workflows::workflows(&mut ctx, &file.workflows, &aggregates);

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
        tenancy,
        enums,
        values,
        aggregates,
        facts,
        projections,
        queries,
        workflows,
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
