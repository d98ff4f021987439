//! What a projection receives: one event type, or several (`events(A, B)`), received as one
//! hidden enum; and the routing of each to the projection's `Project` impls.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Path, Type};

use super::Attrs;

/// What a projection receives: one event type, or several.
pub(super) enum Received<'a> {
    One(&'a Type),
    Several(&'a [Type]),
}

impl<'a> Received<'a> {
    pub(super) fn of(attrs: &'a Attrs) -> Option<Self> {
        match (&attrs.event, attrs.events.as_deref()) {
            (Some(event), _) | (None, Some([event])) => Some(Self::One(event)),
            (None, Some(types)) => Some(Self::Several(types)),
            (None, None) => None,
        }
    }
}

/// The bodies of `changed_rows`, `joins` and `project_event`.
pub(super) struct Routes {
    pub rows: TokenStream,
    pub joins: TokenStream,
    pub project_event: TokenStream,
}

/// [`Routes`] through each event type's `ProjectEach`, spanned on the type as listed, so a kind
/// without a `Project` impl is reported there, with a note pointing at the variant that holds
/// it.
pub(super) fn routes(private: &TokenStream, received: &Received) -> Routes {
    let each = |ty: &Type| quote_spanned!(ty.span()=> <#ty as #private::ProjectEach<Self>>);
    match received {
        Received::One(event) => {
            let each = each(event);
            Routes {
                rows: quote!(#each::rows_each(event, envelope)),
                joins: quote!(#each::joins_each(event, envelope)),
                project_event: quote!(#each::project_each(event, row, envelope, joined)),
            }
        }
        Received::Several(types) => {
            let variants = variants(types);
            let each: Vec<TokenStream> = types.iter().map(each).collect();
            let route = |call: TokenStream| {
                let arms = variants
                    .iter()
                    .zip(&each)
                    .map(|(variant, each)| quote!(Self::Event::#variant(inner) => #each::#call,));
                quote! {
                    match event {
                        #(#arms)*
                    }
                }
            };
            Routes {
                rows: route(quote!(rows_each(inner, envelope))),
                joins: route(quote!(joins_each(inner, envelope))),
                project_event: route(quote!(project_each(inner, row, envelope, joined))),
            }
        }
    }
}

fn variants(types: &[Type]) -> Vec<Ident> {
    (0..types.len()).map(|at| format_ident!("Of{at}")).collect()
}

/// The events a projection of several event types receives: an enum holding one of any, an
/// `Event` that decodes each by the type that names it, and includes every kind of each.
pub(super) fn several(krate: &Path, union: &Ident, types: &[Type]) -> TokenStream {
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let variants = variants(types);
    let event = quote!(#krate::Event);
    quote! {
        /// The events of every type a projection receives, one of any.
        #[doc(hidden)]
        pub enum #union {
            #(#variants(#types),)*
        }

        #[automatically_derived]
        impl #event for #union {
            const NAMES: &'static [&'static str] = &#private::concat_names::<
                { 0 #(+ <#types as #event>::NAMES.len())* },
            >(&[#(<#types as #event>::NAMES),*]);

            fn event_type(&self) -> &'static str {
                match self {
                    #(Self::#variants(inner) => #event::event_type(inner),)*
                }
            }

            fn event_version(&self) -> u32 {
                match self {
                    #(Self::#variants(inner) => #event::event_version(inner),)*
                }
            }

            fn encode(&self) -> #core::result::Result<#private::serde_json::Value, #private::serde_json::Error> {
                match self {
                    #(Self::#variants(inner) => #event::encode(inner),)*
                }
            }

            fn decode(
                event_type: &str,
                event_version: u32,
                payload: #private::serde_json::Value,
            ) -> #core::result::Result<#core::option::Option<Self>, #krate::DecodeError> {
                #(
                    if <#types as #event>::NAMES.iter().any(|name| *name == event_type) {
                        return <#types as #event>::decode(event_type, event_version, payload)
                            .map(|decoded| decoded.map(Self::#variants));
                    }
                )*
                #core::result::Result::Ok(#core::option::Option::None)
            }

            fn tags(&self, tags: &mut #krate::tag::Tags) {
                match self {
                    #(Self::#variants(inner) => #event::tags(inner, tags),)*
                }
            }
        }

        #[automatically_derived]
        impl #private::SeveralEventTypes for #union {}

        // Evaluated now, so two types naming an event alike fail to compile here.
        const _: &[&str] = <#union as #event>::NAMES;

        #(
            #[automatically_derived]
            impl #private::Includes<#types> for #union {}

            #[automatically_derived]
            impl #core::convert::From<#types> for #union {
                fn from(inner: #types) -> Self {
                    Self::#variants(inner)
                }
            }
        )*
    }
}
