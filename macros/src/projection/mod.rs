//! `#[derive(Projection)]`: `#[projection(event = Type, key = field, ...)]` → `impl Projection`,
//! its table schema, and a no-op `Project` impl per ignored kind. With `events(A, B)`, the events
//! of several types, received as one: a hidden enum holding any of them.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Field, Fields, Ident, LitStr, Path, Type};

mod index;
mod routes;
mod summary;

use index::IndexAttr;
use routes::{Routes, routes};
use summary::SummaryAttr;

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;
use crate::received::{self, Received};
use crate::respan::respan;
use crate::{krate, shape};

const CONTAINER: Spec = Spec {
    name: "projection",
    place: "on the struct",
    keys: &[
        "event", "events", "key", "name", "table", "ignore", "index", "count_by", "reads",
    ],
};
const FIELD: Spec = Spec {
    name: "projection",
    place: "on a field",
    keys: &["index"],
};

/// What `#[projection(...)]` on the struct says.
pub(crate) struct Attrs {
    pub krate: Path,
    pub event: Option<Type>,
    /// `events(A, B)`: the event types of several aggregates.
    pub events: Option<Vec<Type>>,
    pub key: Option<Ident>,
    pub name: Option<LitStr>,
    pub table: Option<LitStr>,
    pub ignore: Vec<Type>,
    /// `index(a, b, order = c)`, each as written.
    pub indexes: Vec<IndexAttr>,
    /// `count_by(a, sum(b))`, each as written.
    pub summaries: Vec<SummaryAttr>,
    /// `reads(A, B)`: the projections whose rows it copies from.
    pub reads: Vec<Type>,
}

impl Attrs {
    pub(crate) fn parse(cx: &Ctxt, input: &DeriveInput) -> Self {
        let mut this = Self {
            krate: krate::path(cx, &input.attrs),
            event: None,
            events: None,
            key: None,
            name: None,
            table: None,
            ignore: Vec::new(),
            indexes: Vec::new(),
            summaries: Vec::new(),
            reads: Vec::new(),
        };
        attr::parse_each(cx, &input.attrs, &CONTAINER, |key, meta| {
            match key {
                "event" => attr::set_once(cx, &mut this.event, meta, attr::ty(meta)?),
                "events" => attr::set_once(cx, &mut this.events, meta, attr::types(meta)?),
                "key" => attr::set_once(cx, &mut this.key, meta, attr::ident(meta)?),
                "name" => attr::set_once(cx, &mut this.name, meta, attr::string(meta)?),
                "table" => attr::set_once(cx, &mut this.table, meta, attr::string(meta)?),
                "index" => this.indexes.push(index::parse(meta)?),
                "count_by" => this.summaries.push(summary::parse(meta)?),
                "reads" => this.reads.extend(attr::types(meta)?),
                _ => this.ignore.extend(attr::types(meta)?),
            }
            Ok(())
        });
        this
    }
}

/// One column of the row: a named field and whether it is indexed on its own.
struct Column<'a> {
    field: &'a Field,
    name: String,
    indexed: bool,
}

/// A check, when the crate compiles, of the type of the field `name`: the constant
/// `__private::<assert>::<Type>()`, spanned whole on the field's type so that a failure is
/// reported there. Nothing for a field that does not exist (reported already).
fn type_check(
    krate: &TokenStream,
    columns: &[Column<'_>],
    name: &str,
    assert: &str,
) -> TokenStream {
    let Some(column) = columns.iter().find(|column| column.name == name) else {
        return TokenStream::new();
    };
    let ty = &column.field.ty;
    let assert = format_ident!("{assert}");
    respan(
        quote!(const _: () = #krate::__private::#assert::<#ty>();),
        ty.span(),
    )
}

fn columns<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Vec<Column<'a>> {
    let Data::Struct(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "#[derive(Projection)] needs a struct with named fields",
        );
        return Vec::new();
    };
    let Fields::Named(fields) = &data.fields else {
        cx.error_spanned_by(
            &input.ident,
            "#[derive(Projection)] needs a struct with named fields",
        );
        return Vec::new();
    };
    fields
        .named
        .iter()
        .filter_map(|field| {
            let mut index = None;
            attr::parse_each(cx, &field.attrs, &FIELD, |_, meta| {
                attr::set_once(cx, &mut index, meta, attr::flag(meta)?);
                Ok(())
            });
            let name = field.ident.as_ref()?.unraw().to_string();
            Some(Column {
                field,
                name,
                indexed: index.is_some(),
            })
        })
        .collect()
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let attrs = Attrs::parse(&cx, input);
    shape::no_generics(&cx, input, "Projection");
    let columns = columns(&cx, input);
    received::check_ignored(&cx, &attrs.ignore);
    for (key, missing) in [
        ("event", attrs.event.is_none() && attrs.events.is_none()),
        ("key", attrs.key.is_none()),
    ] {
        if missing {
            cx.error_spanned_by(
                &input.ident,
                format!("missing `{key}` in #[projection(...)], e.g. #[projection(event = OrderEvent, key = order_id)]"),
            );
        }
    }
    received::check(&cx, input, attrs.event.as_ref(), attrs.events.as_deref());
    if let Some(key) = &attrs.key {
        let key_name = key.unraw().to_string();
        if !columns.is_empty() && !columns.iter().any(|column| column.name == key_name) {
            let message = match attr::did_you_mean(
                &key_name,
                columns.iter().map(|column| column.name.as_str()),
            ) {
                Some(close) => format!(
                    "`key` must name a field: no field `{key_name}`; did you mean `{close}`?"
                ),
                None => format!("`key` must name a field: no field `{key_name}`"),
            };
            cx.error_spanned_by(key, message);
        }
    }
    let key_name = attrs.key.as_ref().map(|key| key.unraw().to_string());
    let mut indexes = index::check(
        &cx,
        &attrs.indexes,
        &columns,
        key_name.as_deref().unwrap_or(""),
    );
    let summaries = summary::check(&cx, &attrs.summaries, &columns, &mut indexes);
    cx.check()?;
    let received = Received::of(attrs.event.as_ref(), attrs.events.as_deref());
    let (Some(key), Some(received)) = (&attrs.key, received) else {
        unreachable!("checked above")
    };

    let krate = &attrs.krate;
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let name = attrs
        .name
        .as_ref()
        .map_or_else(|| ident.unraw().to_string().to_snake_case(), LitStr::value);
    let table = attrs
        .table
        .as_ref()
        .map_or_else(|| name.clone(), LitStr::value);
    let key = key.unraw().to_string();

    // Spanned on each field's type, so a type that cannot be a column is reported on the field.
    let column_defs = columns.iter().map(|column| {
        let Column { field, name, .. } = column;
        let ty = &field.ty;
        quote_spanned! {ty.span()=>
            #krate::ColumnDef {
                name: #name,
                ty: <#ty as #krate::Column>::TYPE,
                nullable: <#ty as #krate::Column>::NULLABLE,
            }
        }
    });
    let (indexes, index_checks) = index::expand(&krate.to_token_stream(), &indexes, &columns);
    let (summaries, summary_checks) =
        summary::expand(&krate.to_token_stream(), &summaries, &columns);

    let (event, union) = received.event_type(krate, ident);
    let Routes {
        rows,
        joins,
        project_event,
    } = routes(&private, &received);
    // Each spanned on the type as listed, so one that is no projection is reported there.
    let reads = attrs.reads.iter().map(|read| {
        let projection = respan(quote!(#krate::Projection), read.span());
        quote_spanned!(read.span()=> <#read as #projection>::NAME)
    });

    let ignored = attrs.ignore.iter().map(|kind| {
        // The impl spanned on the listed type: `Project<Kind>` asks that `Kind` be a kind of
        // the event, so one that is not is reported there, once.
        let project = respan(quote!(#krate::Project<#kind>), kind.span());
        let row = respan(quote!(#ident #ty_generics), kind.span());
        quote! {
            #[automatically_derived]
            impl #impl_generics #project for #row #where_clause {
                fn project(
                    _row: #core::option::Option<Self>,
                    _event: &#kind,
                    _envelope: &#krate::EventEnvelope,
                ) -> #krate::Change<Self> {
                    #krate::Change::Keep
                }
            }
        }
    });

    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::Projection for #ident #ty_generics #where_clause {
                const NAME: &'static str = #name;
                const SCHEMA: #krate::TableSchema<'static> = #krate::TableSchema {
                    name: #table,
                    key: #key,
                    columns: &[#(#column_defs),*],
                    indexes: #indexes,
                    summaries: #summaries,
                };
                type Event = #event;
                const READS: &'static [&'static str] = &[#(#reads),*];

                fn changed_rows(event: &Self::Event, envelope: &#krate::EventEnvelope) -> #krate::projection::Rows {
                    #rows
                }

                fn joins(
                    event: &Self::Event,
                    envelope: &#krate::EventEnvelope,
                ) -> #private::std::vec::Vec<#krate::projection::Join> {
                    #joins
                }

                fn project_event(
                    row: #core::option::Option<Self>,
                    event: &Self::Event,
                    envelope: &#krate::EventEnvelope,
                    joined: &#krate::projection::Joined,
                ) -> #krate::Change<Self> {
                    #project_event
                }
            }

            #(#ignored)*

            #index_checks

            #summary_checks

            #union
        };
    })
}
