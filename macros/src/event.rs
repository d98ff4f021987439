//! `#[derive(Event)]`: attributes → model → checks → `impl Event`, `From`, `KindOf`, `ApplyEach`,
//! `ProjectEach`.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitInt, LitStr, Path, Type, Variant};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;
use crate::upcast::{self, Chain, Upcast};
use crate::{krate, shape};

const VARIANT: Spec = Spec {
    name: "event",
    place: "on a variant",
    keys: &["name", "version", "upcast"],
};
const STRUCT: Spec = Spec {
    name: "event",
    place: "on the struct",
    keys: &["name", "version", "upcast"],
};
const ENUM: Spec = Spec {
    name: "event",
    place: "on an enum",
    keys: &["name", "version", "upcast"],
};

/// A type deriving `Event`: a single kind (struct) or one kind per newtype variant (enum).
struct Input<'a> {
    krate: Path,
    input: &'a DeriveInput,
    kinds: Kinds<'a>,
}

enum Kinds<'a> {
    Struct(Kind),
    Enum(Vec<(&'a Variant, &'a Type, Kind)>),
}

/// One kind of event: its stable name, its version and how older versions are brought up to it.
struct Kind {
    name: String,
    /// The tokens a duplicate-name error points at: the `name = "..."` literal, or the ident.
    name_tokens: TokenStream,
    chain: Chain,
}

/// `name`, `version` and `upcast(...)` as written in `#[event(...)]`.
#[derive(Default)]
struct KindAttrs {
    name: Option<LitStr>,
    version: Option<(u32, LitInt)>,
    upcasts: Vec<Upcast>,
}

impl KindAttrs {
    fn parse(cx: &Ctxt, attrs: &[syn::Attribute], spec: &Spec) -> Self {
        let mut this = Self::default();
        attr::parse_each(cx, attrs, spec, |key, meta| {
            match key {
                "name" => attr::set_once(cx, &mut this.name, meta, attr::string(meta)?),
                "upcast" => this.upcasts.extend(upcast::parse(cx, meta)?),
                _ => {
                    let (version, lit) = attr::int(meta)?;
                    if version == 0 {
                        return Err(syn::Error::new_spanned(lit, "event versions start at 1"));
                    }
                    attr::set_once(cx, &mut this.version, meta, (version, lit));
                }
            }
            Ok(())
        });
        this
    }

    fn into_kind(self, cx: &Ctxt, ident: &Ident) -> Kind {
        let name_tokens = match &self.name {
            Some(lit) => lit.to_token_stream(),
            None => ident.to_token_stream(),
        };
        let (version, version_tokens) = match &self.version {
            Some((version, lit)) => (*version, lit.to_token_stream()),
            None => (1, ident.to_token_stream()),
        };
        Kind {
            name: self
                .name
                .map_or_else(|| ident.to_string(), |lit| lit.value()),
            name_tokens,
            chain: Chain::check(cx, version, &version_tokens, self.upcasts),
        }
    }
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let parsed = parse(&cx, input);
    if let Some(parsed) = &parsed {
        check(&cx, parsed);
    }
    cx.check()?;
    Ok(parsed.map(|parsed| generate(&parsed)).unwrap_or_default())
}

fn parse<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<Input<'a>> {
    let krate = krate::path(cx, &input.attrs);
    shape::no_generics(cx, input, "Event");
    let kinds = match &input.data {
        Data::Struct(data) => {
            if let Fields::Unnamed(fields) = &data.fields {
                cx.error_spanned_by(
                    fields,
                    "an event struct needs named fields: its payload is stored as a JSON object; \
                     write `struct Name { field: Type }`",
                );
            }
            for field in &data.fields {
                attr::reject(cx, &field.attrs, "event", "fields have no event options");
            }
            Kinds::Struct(KindAttrs::parse(cx, &input.attrs, &STRUCT).into_kind(cx, &input.ident))
        }
        Data::Enum(data) => {
            let misplaced = KindAttrs::parse(cx, &input.attrs, &ENUM);
            if let Some(name) = misplaced.name {
                cx.error_spanned_by(
                    name,
                    "on an enum, `name` goes on each variant: #[event(name = \"...\")]",
                );
            }
            if let Some((_, lit)) = misplaced.version {
                cx.error_spanned_by(
                    lit,
                    "on an enum, `version` goes on each variant: #[event(version = N)]",
                );
            }
            for upcast in &misplaced.upcasts {
                cx.error_spanned_by(
                    &upcast.with,
                    "on an enum, `upcast(...)` goes on the variant whose kind it upcasts",
                );
            }
            if data.variants.is_empty() {
                cx.error_spanned_by(
                    &input.ident,
                    "an event enum needs at least one variant, one per event kind",
                );
            }
            let kinds = data.variants.iter().filter_map(|variant| {
                let kind =
                    KindAttrs::parse(cx, &variant.attrs, &VARIANT).into_kind(cx, &variant.ident);
                Some((variant, newtype(cx, variant)?, kind))
            });
            Kinds::Enum(kinds.collect())
        }
        Data::Union(data) => {
            cx.error_spanned_by(
                data.union_token,
                "#[derive(Event)] needs a struct, or an enum of newtype variants",
            );
            return None;
        }
    };
    Some(Input {
        krate,
        input,
        kinds,
    })
}

/// The inner type of a `Variant(Inner)`; an error for any other shape of variant.
fn newtype<'a>(cx: &Ctxt, variant: &'a Variant) -> Option<&'a Type> {
    match &variant.fields {
        Fields::Unnamed(fields) if fields.unnamed.len() == 1 => Some(&fields.unnamed[0].ty),
        fields => {
            let ident = &variant.ident;
            let example = format!("`{ident}({ident})`");
            cx.error_spanned_by(
                quote!(#ident #fields),
                format!("each variant of an event enum holds one event type, e.g. {example}"),
            );
            None
        }
    }
}

/// Names are unique within the enum, and so are the inner types (each gets a `From` impl).
fn check(cx: &Ctxt, parsed: &Input) {
    let Kinds::Enum(kinds) = &parsed.kinds else {
        return;
    };
    let mut names = HashMap::new();
    let mut types = HashMap::new();
    for (variant, ty, kind) in kinds {
        let ident = &variant.ident;
        if let Some(first) = names.insert(kind.name.as_str(), ident) {
            cx.error_spanned_by(
                &kind.name_tokens,
                format!(
                    "duplicate event name `{}`: variant `{first}` already uses it",
                    kind.name
                ),
            );
        }
        let key = ty.to_token_stream().to_string();
        if let Some(first) = types.insert(key, ident) {
            let ty_name = ty.to_token_stream().to_string().replace(' ', "");
            let fields = &variant.fields;
            cx.error_spanned_by(
                quote!(#ident #fields),
                format!("variants `{first}` and `{ident}` both hold `{ty_name}`: give each event kind its own type"),
            );
        }
    }
}

fn generate(parsed: &Input) -> TokenStream {
    let krate = &parsed.krate;
    let core = quote!(#krate::__private::core);
    let json = quote!(#krate::__private::serde_json);
    let ident = &parsed.input.ident;
    let (impl_generics, ty_generics, where_clause) = parsed.input.generics.split_for_impl();

    let (names, event_type, event_version, encode, decode) = match &parsed.kinds {
        Kinds::Struct(kind) => {
            let Kind { name, chain, .. } = kind;
            let version = chain.current;
            let decode = decode_arm(krate, kind, quote!(#ident #ty_generics), quote!(inner));
            (
                quote!(#name),
                quote!(#name),
                quote!(#version),
                quote!(#json::to_value(self)),
                quote! {
                    match event_type {
                        #name => #decode,
                        _ => #core::result::Result::Ok(#core::option::Option::None),
                    }
                },
            )
        }
        Kinds::Enum(kinds) => {
            let names = kinds.iter().map(|(_, _, kind)| &kind.name);
            let types = kinds
                .iter()
                .map(|(Variant { ident: variant, .. }, _, kind)| {
                    let name = &kind.name;
                    quote!(Self::#variant(_) => #name)
                });
            let versions = kinds
                .iter()
                .map(|(Variant { ident: variant, .. }, _, kind)| {
                    let version = kind.chain.current;
                    quote!(Self::#variant(_) => #version)
                });
            let encodes = kinds.iter().map(|(Variant { ident: variant, .. }, _, _)| quote!(Self::#variant(inner) => #json::to_value(inner)));
            let decodes = kinds
                .iter()
                .map(|(Variant { ident: variant, .. }, ty, kind)| {
                    let name = &kind.name;
                    let arm = decode_arm(
                        krate,
                        kind,
                        ty.to_token_stream(),
                        quote!(Self::#variant(inner)),
                    );
                    quote!(#name => #arm)
                });
            (
                quote!(#(#names),*),
                quote!(match self { #(#types,)* }),
                quote!(match self { #(#versions,)* }),
                quote!(match self { #(#encodes,)* }),
                quote! {
                    match event_type {
                        #(#decodes,)*
                        _ => #core::result::Result::Ok(#core::option::Option::None),
                    }
                },
            )
        }
    };
    let conversions = conversions(parsed);
    let routing = routing(parsed);

    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::Event for #ident #ty_generics #where_clause {
                const NAMES: &'static [&'static str] = &[#names];

                fn event_type(&self) -> &'static str {
                    #event_type
                }

                fn event_version(&self) -> u32 {
                    #event_version
                }

                fn encode(&self) -> #core::result::Result<#json::Value, #json::Error> {
                    #encode
                }

                fn decode(
                    event_type: &str,
                    event_version: u32,
                    payload: #json::Value,
                ) -> #core::result::Result<#core::option::Option<Self>, #krate::DecodeError> {
                    #decode
                }
            }

            #conversions
            #routing
        };
    }
}

/// Decodes one kind: checks the stored version, upcasts, then deserializes the payload as `ty`.
fn decode_arm(krate: &Path, kind: &Kind, ty: TokenStream, construct: TokenStream) -> TokenStream {
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let upcast = kind.chain.expand(&private);
    let rebind = (!kind.chain.steps.is_empty()).then(|| quote!(let mut payload = payload;));
    quote! {{
        #rebind
        #upcast
        match #private::serde_json::from_value::<#ty>(payload) {
            #core::result::Result::Ok(inner) => #core::result::Result::Ok(#core::option::Option::Some(#construct)),
            #core::result::Result::Err(error) => {
                #core::result::Result::Err(#krate::DecodeError::new(event_type, event_version, error))
            }
        }
    }}
}

/// `impl From<Inner> for Enum`, one per variant.
fn conversions(parsed: &Input) -> TokenStream {
    let Kinds::Enum(kinds) = &parsed.kinds else {
        return TokenStream::new();
    };
    let krate = &parsed.krate;
    let ident = &parsed.input.ident;
    let (impl_generics, ty_generics, where_clause) = parsed.input.generics.split_for_impl();
    kinds
        .iter()
        .map(|(Variant { ident: variant, .. }, ty, _)| {
            quote! {
                #[automatically_derived]
                impl #impl_generics #krate::__private::core::convert::From<#ty> for #ident #ty_generics #where_clause {
                    fn from(inner: #ty) -> Self {
                        Self::#variant(inner)
                    }
                }
            }
        })
        .collect()
}

/// `ApplyEach` and `ProjectEach`, with one `Apply<Kind>` / `Project<Kind>` bound per kind.
///
/// A kind without its `Apply`/`Project` impl then fails where the aggregate or projection routes
/// its events, naming the kind and the aggregate or projection.
fn routing(parsed: &Input) -> TokenStream {
    let krate = &parsed.krate;
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let ident = &parsed.input.ident;
    let this = {
        let (_, ty_generics, _) = parsed.input.generics.split_for_impl();
        quote!(#ident #ty_generics)
    };
    let (kind_types, patterns): (Vec<TokenStream>, Vec<TokenStream>) = match &parsed.kinds {
        Kinds::Struct(_) => (vec![this.clone()], vec![quote!(inner)]),
        Kinds::Enum(kinds) => {
            let pattern = |ident| quote!(Self::#ident(inner));
            kinds
                .iter()
                .map(|(variant, ty, _)| (ty.to_token_stream(), pattern(&variant.ident)))
                .unzip()
        }
    };
    // Each bound is spanned on the type a variant holds, so an unsatisfied one points at the
    // variant.
    let with_param = |param: &str, bound: TokenStream| {
        let param = Ident::new(param, ident.span());
        let mut generics = parsed.input.generics.clone();
        generics.params.push(syn::parse_quote!(#param));
        let predicates = generics.make_where_clause();
        for ty in &kind_types {
            predicates.predicates.push(
                syn::parse2(respan(quote!(#param: #krate::#bound<#ty>), ty.span()))
                    .expect("a where predicate"),
            );
        }
        generics
    };

    let apply_generics = with_param("__A", quote!(Apply));
    let (apply_impl, _, apply_where) = apply_generics.split_for_impl();
    let project_generics = with_param("__P", quote!(Project));
    let (project_impl, _, project_where) = project_generics.split_for_impl();
    // The routing traits and the type are spanned on the user's type name, not on the derive:
    // rustc would otherwise advise implementing them by hand "to avoid undesired bounds", when
    // the bounds are the point and the fix is the missing `Apply`/`Project` impl.
    let span = ident.span();
    let apply_each = respan(quote!(#private::ApplyEach<__A>), span);
    let project_each = respan(quote!(#private::ProjectEach<__P>), span);
    let this = respan(this, span);

    quote! {
        #(
            #[automatically_derived]
            impl #private::KindOf<#this> for #kind_types {}
        )*

        #[automatically_derived]
        impl #apply_impl #apply_each for #this #apply_where {
            fn apply_each(&self, target: &mut __A) {
                match self {
                    #(#patterns => #private::apply(target, inner),)*
                }
            }
        }

        #[automatically_derived]
        impl #project_impl #project_each for #this #project_where {
            fn key_each(&self, envelope: &#krate::EventEnvelope) -> #private::serde_json::Value {
                match self {
                    #(#patterns => #private::project_key::<__P, _>(inner, envelope),)*
                }
            }

            fn project_each(
                &self,
                row: #core::option::Option<__P>,
                envelope: &#krate::EventEnvelope,
            ) -> #krate::Change<__P> {
                match self {
                    #(#patterns => #private::project::<__P, _>(row, inner, envelope),)*
                }
            }
        }
    }
}

/// `tokens` with every span set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = proc_macro2::TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}
