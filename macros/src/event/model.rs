//! The input of `#[derive(Event)]` as a model: one kind per struct or newtype variant, each with
//! its stable name and its chain of upcasters, borrowing the input's tokens for errors.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Data, DeriveInput, Fields, Ident, LitInt, LitStr, Path, Type, Variant};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;
use crate::upcast::{self, Chain, Upcast};
use crate::{krate, shape};

const VARIANT: Spec = Spec {
    name: "event",
    place: "on a variant",
    keys: &["name", "version", "upcast", "tags"],
};
const STRUCT: Spec = Spec {
    name: "event",
    place: "on the struct",
    keys: &["name", "version", "upcast", "tags"],
};
const ENUM: Spec = Spec {
    name: "event",
    place: "on an enum",
    keys: &["name", "version", "upcast", "tags"],
};

/// A type deriving `Event`: a single kind (struct) or one kind per newtype variant (enum).
pub(super) struct Input<'a> {
    pub(super) krate: Path,
    pub(super) input: &'a DeriveInput,
    pub(super) kinds: Kinds<'a>,
}

pub(super) enum Kinds<'a> {
    Struct(Kind),
    Enum(Vec<(&'a Variant, &'a Type, Kind)>),
}

/// One kind of event: its stable name, its version and how older versions are brought up to it.
pub(super) struct Kind {
    pub(super) name: String,
    /// The tokens a duplicate-name error points at: the `name = "..."` literal, or the ident.
    pub(super) name_tokens: TokenStream,
    pub(super) chain: Chain,
    /// The payload's fields whose values tag the event, each tag named after its field.
    pub(super) tags: Vec<Ident>,
}

/// `name`, `version`, `upcast(...)` and `tags(...)` as written in `#[event(...)]`.
#[derive(Default)]
struct KindAttrs {
    name: Option<LitStr>,
    version: Option<(u32, LitInt)>,
    upcasts: Vec<Upcast>,
    tags: Option<Vec<Ident>>,
}

impl KindAttrs {
    fn parse(cx: &Ctxt, attrs: &[syn::Attribute], spec: &Spec) -> Self {
        let mut this = Self::default();
        attr::parse_each(cx, attrs, spec, |key, meta| {
            match key {
                "name" => attr::set_once(cx, &mut this.name, meta, attr::string(meta)?),
                "upcast" => this.upcasts.extend(upcast::parse(cx, meta)?),
                "tags" => {
                    let tags = attr::idents(meta)?;
                    for (at, tag) in tags.iter().enumerate() {
                        if tags[..at].contains(tag) {
                            cx.error_spanned_by(tag, format!("`{tag}` is named twice in `tags`"));
                        }
                    }
                    attr::set_once(cx, &mut this.tags, meta, tags);
                }
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
            tags: self.tags.unwrap_or_default(),
        }
    }
}

pub(super) fn parse<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<Input<'a>> {
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
            if let Some(tag) = misplaced.tags.iter().flatten().next() {
                cx.error_spanned_by(
                    tag,
                    "on an enum, `tags(...)` goes on each variant whose payload has those fields",
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

/// The name of a type serde writes as something other than an object: a number, a string, a
/// list, ... (a struct of the user's own is not one of them).
fn bare_value(ty: &Type) -> Option<String> {
    const BARE: &[&str] = &[
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "isize",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "usize",
        "f32",
        "f64",
        "bool",
        "char",
        "str",
        "String",
        "Vec",
        "Option",
        "Uuid",
        "Decimal",
        "DateTime",
        "NaiveDate",
    ];
    // As written: `Vec<String>`, `&'a str`.
    let written = || {
        quote!(#ty)
            .to_string()
            .replace(" < ", "<")
            .replace(" >", ">")
            .replace("& ", "&")
            .replace(" ,", ",")
    };
    match ty {
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            BARE.contains(&last.ident.to_string().as_str())
                .then(written)
        }
        Type::Reference(_) | Type::Tuple(_) | Type::Array(_) | Type::Slice(_) => Some(written()),
        _ => None,
    }
}

/// The inner type of a `Variant(Inner)`; an error for any other shape of variant, and for an
/// inner type that would be stored as a bare value, as a tuple struct would.
fn newtype<'a>(cx: &Ctxt, variant: &'a Variant) -> Option<&'a Type> {
    match &variant.fields {
        Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
            let inner = &fields.unnamed[0].ty;
            if let Some(bare) = bare_value(inner) {
                let ident = &variant.ident;
                cx.error_spanned_by(
                    inner,
                    format!(
                        "`{bare}` would be stored as a bare value, but an event's payload is a \
                         JSON object: hold a struct with named fields, e.g. `{ident}({ident})` \
                         with `struct {ident} {{ value: {bare} }}`"
                    ),
                );
                return None;
            }
            Some(inner)
        }
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
