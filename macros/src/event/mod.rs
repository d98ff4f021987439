//! `#[derive(Event)]`: attributes → model → checks → `impl Event`, `From`, `KindOf`, `ApplyEach`,
//! `ProjectEach`.

mod check;
mod expand;
mod model;
mod routing;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::ctxt::Ctxt;

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let parsed = model::parse(&cx, input);
    if let Some(parsed) = &parsed {
        check::check(&cx, parsed);
    }
    cx.check()?;
    Ok(parsed
        .map(|parsed| expand::generate(&parsed))
        .unwrap_or_default())
}
