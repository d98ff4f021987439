//! `From` impls per variant, and the traits that route each kind to an aggregate's `Apply` or a
//! projection's `Project`.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Ident, Variant};

use super::model::{Input, Kinds};
use crate::respan::respan;

/// `impl From<Inner> for Enum`, one per variant.
pub(super) fn conversions(parsed: &Input) -> TokenStream {
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

/// `ApplyEach`, `ProjectEach`, `ReactEach` and `HandleEach`, with one `Apply<Kind>`,
/// `Project<Kind>`, `React<Kind>` or `Handles<Kind>` bound per kind.
///
/// A kind without its impl then fails where the aggregate, projection or workflow routes its
/// events, naming the kind and the type that misses it.
pub(super) fn routing(parsed: &Input) -> TokenStream {
    let krate = &parsed.krate;
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let workflow = quote!(#krate::workflow);
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
    // The same patterns binding nothing, for what depends on the kind alone.
    let kinds_only: Vec<TokenStream> = match &parsed.kinds {
        Kinds::Struct(_) => vec![quote!(_)],
        Kinds::Enum(kinds) => kinds
            .iter()
            .map(|(Variant { ident, .. }, ..)| quote!(Self::#ident(_)))
            .collect(),
    };
    // Each bound is spanned on the type a variant holds, so an unsatisfied one points at the
    // variant. A `receiver` (the trait of the type routed to) routes only to those that receive
    // this event type: of it alone, or of several.
    let with_param = |param: &str, bound: TokenStream, receiver: Option<TokenStream>| {
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
        if let Some(receiver) = receiver {
            predicates
                .predicates
                .push(syn::parse_quote!(#param: #receiver));
            predicates
                .predicates
                .push(syn::parse_quote!(<#param as #receiver>::Event: #private::Includes<#this>));
        }
        generics
    };

    let apply_generics = with_param("__A", quote!(Apply), None);
    let (apply_impl, _, apply_where) = apply_generics.split_for_impl();
    let project_generics = with_param("__P", quote!(Project), Some(quote!(#krate::Projection)));
    let (project_impl, _, project_where) = project_generics.split_for_impl();
    let react_generics = with_param(
        "__W",
        quote!(workflow::React),
        Some(quote!(#workflow::Policy)),
    );
    let (react_impl, _, react_where) = react_generics.split_for_impl();
    let handle_generics = with_param(
        "__M",
        quote!(workflow::Handles),
        Some(quote!(#workflow::ProcessManager)),
    );
    let (handle_impl, _, handle_where) = handle_generics.split_for_impl();
    // The routing traits and the type are spanned on the user's type name, not on the derive:
    // rustc would otherwise advise implementing them by hand "to avoid undesired bounds", when
    // the bounds are the point and the fix is the missing impl.
    let span = ident.span();
    let apply_each = respan(quote!(#private::ApplyEach<__A>), span);
    let project_each = respan(quote!(#private::ProjectEach<__P>), span);
    let react_each = respan(quote!(#private::ReactEach<__W>), span);
    let handle_each = respan(quote!(#private::HandleEach<__M>), span);
    let this = respan(this, span);
    let manager = quote!(<__M as #workflow::ProcessManager>);

    quote! {
        #[automatically_derived]
        impl #private::Includes<#this> for #this {}

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
            fn rows_each(&self, envelope: &#krate::EventEnvelope) -> #krate::projection::Rows {
                match self {
                    #(#patterns => #private::project_rows::<__P, _>(inner, envelope),)*
                }
            }

            fn joins_each(
                &self,
                envelope: &#krate::EventEnvelope,
            ) -> #private::std::vec::Vec<#krate::projection::Join> {
                match self {
                    #(#patterns => #private::project_joins::<__P, _>(inner, envelope),)*
                }
            }

            fn project_each(
                &self,
                row: #core::option::Option<__P>,
                envelope: &#krate::EventEnvelope,
                joined: &#krate::projection::Joined,
            ) -> #krate::Change<__P> {
                match self {
                    #(#patterns => #private::project::<__P, _>(row, inner, envelope, joined),)*
                }
            }
        }

        #[automatically_derived]
        impl #react_impl #react_each for #this #react_where {
            fn react_each(
                &self,
                policy: &__W,
                envelope: &#krate::EventEnvelope,
                steps: &mut #workflow::Steps,
            ) {
                match self {
                    #(#patterns => <__W as #workflow::React<#kind_types>>::react(policy, inner, envelope, steps),)*
                }
            }
        }

        #[automatically_derived]
        impl #handle_impl #handle_each for #this #handle_where {
            fn correlate_each(
                &self,
                envelope: &#krate::EventEnvelope,
            ) -> #core::option::Option<#private::std::string::String> {
                match self {
                    #(#patterns => <__M as #workflow::Handles<#kind_types>>::correlate(inner, envelope),)*
                }
            }

            fn starts_each(&self) -> bool {
                match self {
                    #(#kinds_only => <__M as #workflow::Handles<#kind_types>>::STARTS,)*
                }
            }

            fn handle_each(
                &self,
                manager: &__M,
                state: &mut #manager::State,
                envelope: &#krate::EventEnvelope,
                steps: &mut #workflow::Steps<#manager::Timer>,
            ) {
                match self {
                    #(#patterns => <__M as #workflow::Handles<#kind_types>>::handle(manager, state, inner, envelope, steps),)*
                }
            }
        }
    }
}
