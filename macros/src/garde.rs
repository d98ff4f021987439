//! The `validate` key of `#[command(...)]` and `#[decision(...)]`: a `validate` method that runs
//! the struct's `garde::Validate`, spanned on the key so a missing impl is reported there.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Path;

pub(crate) fn validate_method(krate: &Path, key: Span) -> TokenStream {
    let core = quote!(#krate::__private::core);
    let report = quote_spanned!(key=> <Self as #krate::__private::garde::Validate>::validate_with(self, &()));
    quote! {
        fn validate(&self) -> #core::result::Result<(), #krate::ValidationErrors> {
            #core::result::Result::map_err(#report, <#krate::ValidationErrors as #core::convert::From<_>>::from)
        }
    }
}
