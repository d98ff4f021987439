//! `#[derive(Policy)]` and `#[derive(ProcessManager)]`: attributes → model → checks →
//! `impl Policy` / `impl ProcessManager` routing each kind of event to its `React` / `Handles`
//! impl, as `#[derive(Projection)]` routes to `Project`.

mod check;
mod expand;
pub(crate) mod model;

use proc_macro2::TokenStream;
use syn::DeriveInput;

pub(crate) use expand::workflow_trait;
pub(crate) use model::Role;

use crate::ctxt::Ctxt;

pub(crate) fn expand(input: &DeriveInput, role: Role) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let attrs = model::Attrs::parse(&cx, input, role);
    check::check(&cx, input, &attrs, role);
    cx.check()?;
    Ok(expand::generate(input, &attrs, role))
}
