//! `#[derive(Decision)]`: `#[decision(name = "...", retries = N, validate)]`,
//! `#[decision(reads = Aggregate)]` on each id field and `#[decision(fact = Fact)]` on each tag
//! field → `impl Decision`.

use heck::ToSnakeCase;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Field, Fields, Ident, LitStr, Path, Type};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;
use crate::{garde, krate, shape};

const CONTAINER: Spec = Spec {
    name: "decision",
    place: "on the struct",
    keys: &["name", "retries", "validate"],
};
const FIELD: Spec = Spec {
    name: "decision",
    place: "on a field",
    keys: &["reads", "fact", "tag"],
};

/// What a field of the decision reads: the aggregate whose id it holds, or the fact one of
/// whose tags it holds, with the tag's name.
enum Reading {
    Aggregate(Type),
    Fact(Type, Ident),
}

/// What `#[decision(...)]` on the struct says.
pub(crate) struct Attrs {
    pub krate: Path,
    pub name: Option<LitStr>,
    pub retries: Option<u32>,
    /// The `validate` key itself, so a missing `garde::Validate` impl is reported there.
    pub validate: Option<Span>,
}

impl Attrs {
    pub(crate) fn parse(cx: &Ctxt, input: &DeriveInput) -> Self {
        let mut this = Self {
            krate: krate::path(cx, &input.attrs),
            name: None,
            retries: None,
            validate: None,
        };
        attr::parse_each(cx, &input.attrs, &CONTAINER, |key, meta| {
            match key {
                "name" => attr::set_once(cx, &mut this.name, meta, attr::string(meta)?),
                "retries" => attr::set_once(cx, &mut this.retries, meta, attr::int::<u32>(meta)?.0),
                _ => {
                    attr::flag(meta)?;
                    attr::set_once(cx, &mut this.validate, meta, meta.path.span());
                }
            }
            Ok(())
        });
        this
    }
}

/// Each field that holds the id of an aggregate read or the tag of a fact read.
fn reads<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Vec<(&'a Field, Reading)> {
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => &fields.named,
            _ => {
                cx.error_spanned_by(
                    &input.ident,
                    "#[derive(Decision)] needs a struct with named fields",
                );
                return Vec::new();
            }
        },
        Data::Enum(_) | Data::Union(_) => {
            cx.error_spanned_by(
                &input.ident,
                "#[derive(Decision)] needs a struct with named fields",
            );
            return Vec::new();
        }
    };
    let mut reads = Vec::new();
    for field in fields {
        // A field may hold both an aggregate's id and a fact's tag: a patient, and the
        // appointments open for them.
        let (mut aggregate, mut fact, mut tag) = (None, None, None);
        let mut facts = Vec::new();
        attr::parse_each(cx, &field.attrs, &FIELD, |key, meta| {
            match key {
                "reads" => attr::set_once(cx, &mut aggregate, meta, attr::ty(meta)?),
                "fact" if meta.input.peek(syn::token::Paren) => facts.push(fact_with_tag(meta)?),
                "fact" => attr::set_once(cx, &mut fact, meta, attr::ty(meta)?),
                _ => attr::set_once(cx, &mut tag, meta, attr::ident(meta)?),
            }
            Ok(())
        });
        if let (Some(tag), None) = (&tag, &fact) {
            cx.error_spanned_by(
                tag,
                "`tag` names a tag of the fact this field reads: add `fact = ...`",
            );
        }
        reads.extend(aggregate.map(|ty| (field, Reading::Aggregate(ty))));
        facts.extend(fact.map(|ty| (ty, tag)));
        for (ty, tag) in facts {
            let tag = tag.or_else(|| field.ident.clone());
            reads.extend(tag.map(|tag| (field, Reading::Fact(ty, tag))));
        }
    }
    let reads_aggregate = reads
        .iter()
        .any(|(_, reading)| matches!(reading, Reading::Aggregate(_)));
    if !reads_aggregate && cx.is_clean() {
        cx.error_spanned_by(
            &input.ident,
            "a decision reads at least one aggregate: mark the field holding its id with \
             #[decision(reads = Account)]",
        );
    }
    reads
}

/// `fact(DoctorsDay)` or `fact(DoctorsDay, tag = doctor)`: one of several facts whose tag a
/// field holds.
fn fact_with_tag(meta: &syn::meta::ParseNestedMeta) -> syn::Result<(Type, Option<Ident>)> {
    let content;
    syn::parenthesized!(content in meta.input);
    let fact: Type = content.parse()?;
    if content.is_empty() {
        return Ok((fact, None));
    }
    content.parse::<syn::Token![,]>()?;
    let key: Ident = content.parse()?;
    if key != "tag" {
        // The rest is not read: skip it, so the error is reported once.
        content.parse::<TokenStream>()?;
        return Err(syn::Error::new_spanned(
            key,
            "expected `tag = name` after the fact: `fact(DoctorsDay, tag = doctor)`",
        ));
    }
    content.parse::<syn::Token![=]>()?;
    let tag = content.parse()?;
    content.parse::<Option<syn::Token![,]>>()?;
    Ok((fact, Some(tag)))
}

/// One `reads.fact(..)` per fact type, built from every field holding one of its tags: the
/// fact's tags struct must be filled completely, so a missing or unknown tag fails to compile.
fn facts(krate: &Path, reads: &[(&Field, Reading)]) -> Vec<TokenStream> {
    let core = quote!(#krate::__private::core);
    let mut seen: Vec<String> = Vec::new();
    let mut statements = Vec::new();
    for (_, reading) in reads {
        let Reading::Fact(fact, _) = reading else {
            continue;
        };
        let key = quote!(#fact).to_string();
        if seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        // Each tag spanned on its field, so a wrong type or an unknown tag is reported there.
        let tags = reads.iter().filter_map(|(field, reading)| match reading {
            Reading::Fact(other, tag) if quote!(#other).to_string() == key => {
                let field_name = &field.ident;
                Some(quote_spanned!(field.ty.span()=> #tag: #core::clone::Clone::clone(&self.#field_name)))
            }
            _ => None,
        });
        // Spanned on the first `fact = ..`, so a missing tag is reported there.
        statements.push(quote_spanned! {fact.span()=> {
            type Tags = <#fact as #krate::decision::KeyedFact>::Tags;
            #krate::decision::Reads::fact(
                reads,
                <#fact as #krate::decision::KeyedFact>::from_tags(Tags { #(#tags,)* }),
            );
        }});
    }
    statements
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let attrs = Attrs::parse(&cx, input);
    shape::no_generics(&cx, input, "Decision");
    let reads = reads(&cx, input);
    cx.check()?;

    let krate = &attrs.krate;
    let ident = &input.ident;
    let name = attrs
        .name
        .as_ref()
        .map_or_else(|| ident.unraw().to_string().to_snake_case(), LitStr::value);
    let retries = attrs
        .retries
        .map(|retries| quote!(const RETRIES_ON_CONFLICT: u32 = #retries;));
    // Spanned on each field's type, so an id of the wrong type is reported on the field.
    let aggregates = reads.iter().filter_map(|(field, reading)| {
        let Reading::Aggregate(aggregate) = reading else {
            return None;
        };
        let field_name = &field.ident;
        Some(quote_spanned!(field.ty.span()=>
            #krate::decision::Reads::aggregate::<#aggregate>(reads, &self.#field_name);
        ))
    });
    let facts = facts(krate, &reads);
    let validate = attrs
        .validate
        .map(|span| garde::validate_method(krate, span));
    // A compile-time check that the struct says how it decides, reported on its name.
    let decides = quote_spanned!(ident.span()=> decides::<#ident>);

    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #krate::Decision for #ident {
                const NAME: &'static str = #name;
                #retries

                fn reads<R: #krate::decision::Reads>(&self, reads: &mut R) {
                    #(#aggregates)*
                    #(#facts)*
                }

                #validate
            }

            fn decides<D: #krate::decision::Decide>() {}
            let _ = #decides;
        };
    })
}
