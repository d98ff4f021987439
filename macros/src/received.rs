//! What a projection or workflow receives: one event type (`event = A`), or several
//! (`events(A, B)`) received as one hidden enum; and the kinds it ignores. The same keys, checks
//! and hidden enum for every derive that routes events to per-kind impls.

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, Path, Type};

use crate::ctxt::Ctxt;
use crate::respan::respan;

/// What a derive receives: one event type, or several.
pub(crate) enum Received<'a> {
    One(&'a Type),
    Several(&'a [Type]),
}

impl<'a> Received<'a> {
    /// From `event = ..` and `events(..)`; `None` when neither is given.
    pub(crate) fn of(event: Option<&'a Type>, events: Option<&'a [Type]>) -> Option<Self> {
        match (event, events) {
            (Some(event), _) | (None, Some([event])) => Some(Self::One(event)),
            (None, Some(types)) => Some(Self::Several(types)),
            (None, None) => None,
        }
    }

    /// The type the trait's `Event` names, and the items that define it: nothing for one event
    /// type, the hidden enum `<Ident>Events` for several.
    pub(crate) fn event_type(&self, krate: &Path, ident: &Ident) -> (TokenStream, TokenStream) {
        match self {
            Self::One(event) => (event.to_token_stream(), TokenStream::new()),
            Self::Several(types) => {
                let union = format_ident!("{}Events", ident.unraw());
                (union.to_token_stream(), several(krate, &union, types))
            }
        }
    }
}

/// What `event` and `events` say together: not both, each type once, at least one. A missing
/// one is left to the derive, whose message shows its own keys.
pub(crate) fn check(cx: &Ctxt, input: &DeriveInput, event: Option<&Type>, events: Option<&[Type]>) {
    if let (Some(_), Some(events)) = (event, events) {
        let first = events
            .first()
            .map_or_else(|| input.ident.span(), Spanned::span);
        cx.error_spanned_by(
            respan(quote!(events), first),
            "`event` and `events` both name what it receives: keep `events(..)`, listing every event type",
        );
    }
    let mut listed = HashSet::new();
    for ty in events.into_iter().flatten() {
        if !listed.insert(ty.to_token_stream().to_string()) {
            cx.error_spanned_by(ty, "this event type is already listed in `events(...)`");
        }
    }
    if events.is_some_and(<[Type]>::is_empty) {
        cx.error_spanned_by(
            &input.ident,
            "`events()` lists no event type: name each one it receives, `events(BookEvent, MemberEvent)`",
        );
    }
}

/// Each kind in `ignore(..)` once: a second would be a second impl of the same trait.
pub(crate) fn check_ignored(cx: &Ctxt, ignore: &[Type]) {
    let mut ignored = HashSet::new();
    for kind in ignore {
        if !ignored.insert(kind.to_token_stream().to_string()) {
            cx.error_spanned_by(kind, "this kind is already listed in `ignore(...)`");
        }
    }
}

/// The hidden enum's variants, one per event type.
pub(crate) fn variants(types: &[Type]) -> Vec<Ident> {
    (0..types.len()).map(|at| format_ident!("Of{at}")).collect()
}

/// The events a projection or workflow of several event types receives: an enum holding one of
/// any, an `Event` that decodes each by the type that names it, and includes every kind of each.
fn several(krate: &Path, union: &Ident, types: &[Type]) -> TokenStream {
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let variants = variants(types);
    let event = quote!(#krate::Event);
    quote! {
        /// The events of every type a projection or workflow receives, one of any.
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
                    // `Iterator` by its path: a module without the prelude has no method `any`.
                    if #core::iter::Iterator::any(
                        &mut <#types as #event>::NAMES.iter(),
                        |name| *name == event_type,
                    ) {
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
