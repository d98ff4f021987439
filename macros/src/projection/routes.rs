//! The routing of each event a projection receives to its `Project` impls.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use crate::received::{Received, variants};

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
