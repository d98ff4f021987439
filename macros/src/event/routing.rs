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

/// `ApplyEach` and `ProjectEach`, with one `Apply<Kind>` / `Project<Kind>` bound per kind.
///
/// A kind without its `Apply`/`Project` impl then fails where the aggregate or projection routes
/// its events, naming the kind and the aggregate or projection.
pub(super) fn routing(parsed: &Input) -> TokenStream {
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
    let mut project_generics = with_param("__P", quote!(Project));
    // Routes only to projections that receive this event type: of it alone, or of several.
    project_generics
        .make_where_clause()
        .predicates
        .push(syn::parse_quote!(__P: #krate::Projection));
    project_generics
        .make_where_clause()
        .predicates
        .push(syn::parse_quote!(<__P as #krate::Projection>::Event: #private::Includes<#this>));
    let (project_impl, _, project_where) = project_generics.split_for_impl();
    // The routing traits and the type are spanned on the user's type name, not on the derive:
    // rustc would otherwise advise implementing them by hand "to avoid undesired bounds", when
    // the bounds are the point and the fix is the missing `Apply`/`Project` impl.
    let span = ident.span();
    let apply_each = respan(quote!(#private::ApplyEach<__A>), span);
    let project_each = respan(quote!(#private::ProjectEach<__P>), span);
    let this = respan(this, span);

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
    }
}
