//! `#[derive(Fact)]`: `#[fact(from = Aggregate, name = "...")]` on the struct and
//! `#[fact(tag)]` on the fields naming its slice of the log → `impl Fact`, and `impl KeyedFact`
//! with a struct of the tags alone, for decisions to fill.

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Field, Fields, LitStr, Path, Type};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;
use crate::{krate, shape};

const CONTAINER: Spec = Spec {
    name: "fact",
    place: "on the struct",
    keys: &["from", "name"],
};
const FIELD: Spec = Spec {
    name: "fact",
    place: "on a field",
    keys: &["tag"],
};

/// What `#[fact(...)]` on the struct says.
pub(crate) struct Attrs {
    pub krate: Path,
    pub name: Option<LitStr>,
    /// The aggregates whose events the fact folds, in the order written.
    pub from: Vec<Type>,
}

impl Attrs {
    pub(crate) fn parse(cx: &Ctxt, input: &DeriveInput) -> Self {
        let mut this = Self {
            krate: krate::path(cx, &input.attrs),
            name: None,
            from: Vec::new(),
        };
        attr::parse_each(cx, &input.attrs, &CONTAINER, |key, meta| {
            match key {
                "name" => attr::set_once(cx, &mut this.name, meta, attr::string(meta)?),
                _ => this.from.push(attr::ty(meta)?),
            }
            Ok(())
        });
        this
    }
}

/// The fields marked `#[fact(tag)]`.
fn tags<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Vec<&'a Field> {
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => Some(&fields.named),
            _ => None,
        },
        Data::Enum(_) | Data::Union(_) => None,
    };
    let Some(fields) = named else {
        cx.error_spanned_by(
            &input.ident,
            "#[derive(Fact)] needs a struct with named fields",
        );
        return Vec::new();
    };
    let mut tags = Vec::new();
    for field in fields {
        let mut tag = None;
        attr::parse_each(cx, &field.attrs, &FIELD, |_, meta| {
            attr::flag(meta)?;
            attr::set_once(cx, &mut tag, meta, ());
            Ok(())
        });
        if tag.is_some() {
            tags.push(field);
        }
    }
    if tags.is_empty() && cx.is_clean() {
        cx.error_spanned_by(
            &input.ident,
            "a fact is the events carrying some tags: mark the field holding each tag's value \
             with #[fact(tag)]",
        );
    }
    tags
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let attrs = Attrs::parse(&cx, input);
    shape::no_generics(&cx, input, "Fact");
    let tags = tags(&cx, input);
    if attrs.from.is_empty() && cx.is_clean() {
        cx.error_spanned_by(
            &input.ident,
            "a fact folds the events of at least one aggregate: #[fact(from = Book)]",
        );
    }
    cx.check()?;

    let krate = &attrs.krate;
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let ident = &input.ident;
    let name = attrs
        .name
        .as_ref()
        .map_or_else(|| ident.unraw().to_string().to_snake_case(), LitStr::value);
    // Spanned on each tag field, so a type that cannot be a tag's value is reported there.
    let adds = tags.iter().map(|field| {
        let field_name = &field.ident;
        let key = field_name.as_ref().map(|name| name.unraw().to_string());
        quote_spanned!(field.ty.span()=> tags.add(#key, &self.#field_name);)
    });
    let items = attrs.from.iter().map(|aggregate| {
        quote_spanned! {aggregate.span()=>
            .or(
                <#aggregate as #krate::Aggregate>::TYPE,
                <<#aggregate as #krate::Aggregate>::Event as #krate::Event>::NAMES,
                #core::clone::Clone::clone(&tags),
            )
        }
    });
    // Spanned on each `from`, so a missing `Apply` impl is reported there.
    let folds = attrs.from.iter().map(|aggregate| {
        quote_spanned! {aggregate.span()=>
            if event.aggregate_type == <#aggregate as #krate::Aggregate>::TYPE {
                if let #core::option::Option::Some(decoded) =
                    event.decode::<<#aggregate as #krate::Aggregate>::Event>()?
                {
                    <Self as #krate::Apply<<#aggregate as #krate::Aggregate>::Event>>::apply(self, &decoded);
                }
            }
        }
    });
    // The tags alone, as a struct a decision must fill completely to read the fact.
    let vis = &input.vis;
    let tag_fields = tags.iter().map(|field| {
        let (field_vis, field_name, ty) = (&field.vis, &field.ident, &field.ty);
        quote!(#field_vis #field_name: #ty)
    });
    let tag_names: Vec<_> = tags.iter().map(|field| &field.ident).collect();
    let tags_struct = quote::format_ident!("{}Tags", ident.unraw());
    let keyed = quote! {
        #[doc(hidden)]
        #vis struct #tags_struct {
            #(#tag_fields,)*
        }

        #[automatically_derived]
        impl #krate::decision::KeyedFact for #ident {
            type Tags = #tags_struct;

            fn from_tags(tags: #tags_struct) -> Self {
                Self {
                    #(#tag_names: tags.#tag_names,)*
                    ..#core::default::Default::default()
                }
            }
        }
    };

    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #krate::decision::Fact for #ident {
                const NAME: &'static str = #name;

                fn query(&self) -> #krate::tag::EventQuery {
                    let mut tags = <#krate::tag::Tags as #core::default::Default>::default();
                    #(#adds)*
                    let tags = tags.into_vec();
                    <#krate::tag::EventQuery as #core::default::Default>::default() #(#items)*
                }

                fn fold(
                    &mut self,
                    event: &#krate::EventEnvelope,
                ) -> #core::result::Result<(), #krate::DecodeError> {
                    #(#folds)*
                    #core::result::Result::Ok(())
                }
            }

            #keyed
        };
    })
}
