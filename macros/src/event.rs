//! `#[derive(Event)]`: attributes → model → checks → `impl Event`, `From`, `ApplyEach`, `ProjectEach`.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitInt, LitStr, Path, Type, Variant};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;
use crate::krate;

const VARIANT: Spec = Spec {
    name: "event",
    place: "on a variant",
    keys: &["name", "version"],
};
const STRUCT: Spec = Spec {
    name: "event",
    place: "on the struct",
    keys: &["name", "version"],
};
const ENUM: Spec = Spec {
    name: "event",
    place: "on an enum",
    keys: &["name", "version"],
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

/// One kind of event: its stable name and version.
struct Kind {
    name: String,
    /// The tokens a duplicate-name error points at: the `name = "..."` literal, or the ident.
    name_tokens: TokenStream,
    version: u32,
}

/// `name` and `version` as written in `#[event(...)]`.
#[derive(Default)]
struct KindAttrs {
    name: Option<LitStr>,
    version: Option<(u32, LitInt)>,
}

impl KindAttrs {
    fn parse(cx: &Ctxt, attrs: &[syn::Attribute], spec: &Spec) -> Self {
        let mut this = Self::default();
        attr::parse_each(cx, attrs, spec, |key, meta| {
            match key {
                "name" => attr::set_once(cx, &mut this.name, meta, attr::string(meta)?),
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

    fn into_kind(self, ident: &Ident) -> Kind {
        let name_tokens = match &self.name {
            Some(lit) => lit.to_token_stream(),
            None => ident.to_token_stream(),
        };
        Kind {
            name: self
                .name
                .map_or_else(|| ident.to_string(), |lit| lit.value()),
            name_tokens,
            version: self.version.map_or(1, |(version, _)| version),
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
    let kinds = match &input.data {
        Data::Struct(data) => {
            for field in &data.fields {
                attr::reject(cx, &field.attrs, "event", "fields have no event options");
            }
            Kinds::Struct(KindAttrs::parse(cx, &input.attrs, &STRUCT).into_kind(&input.ident))
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
            if data.variants.is_empty() {
                cx.error_spanned_by(
                    &input.ident,
                    "an event enum needs at least one variant, one per event kind",
                );
            }
            let kinds = data.variants.iter().filter_map(|variant| {
                let kind = KindAttrs::parse(cx, &variant.attrs, &VARIANT).into_kind(&variant.ident);
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
            let Kind { name, version, .. } = kind;
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
                    let version = kind.version;
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

/// Decodes one kind: refuses other versions, then deserializes the payload as `ty`.
fn decode_arm(krate: &Path, kind: &Kind, ty: TokenStream, construct: TokenStream) -> TokenStream {
    let core = quote!(#krate::__private::core);
    let version = kind.version;
    let unsupported = format!("unsupported version; declared v{version}");
    quote! {{
        if event_version != #version {
            return #core::result::Result::Err(#krate::DecodeError::new(event_type, event_version, #unsupported));
        }
        match #krate::__private::serde_json::from_value::<#ty>(payload) {
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
    let with_param = |param: &str, bound: TokenStream| {
        let param = Ident::new(param, Span::call_site());
        let mut generics = parsed.input.generics.clone();
        generics.params.push(syn::parse_quote!(#param));
        let predicates = generics.make_where_clause();
        for ty in &kind_types {
            predicates
                .predicates
                .push(syn::parse_quote_spanned!(ty.span()=> #param: #krate::#bound<#ty>));
        }
        generics
    };

    let apply_generics = with_param("__A", quote!(Apply));
    let (apply_impl, _, apply_where) = apply_generics.split_for_impl();
    let project_generics = with_param("__P", quote!(Project));
    let (project_impl, _, project_where) = project_generics.split_for_impl();

    quote! {
        #[automatically_derived]
        impl #apply_impl #private::ApplyEach<__A> for #this #apply_where {
            fn apply_each(&self, target: &mut __A) {
                match self {
                    #(#patterns => #private::apply(target, inner),)*
                }
            }
        }

        #[automatically_derived]
        impl #project_impl #private::ProjectEach<__P> for #this #project_where {
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
