//! The path generated code uses to reach the runtime crate: what `#[eventwright(crate = "...")]`
//! says (a runtime re-exported by another crate), else the name the crate's `Cargo.toml` gives
//! the dependency (`::eventwright`, or `::ew` when renamed). A crate whose `Cargo.toml` does
//! not depend on it at all is told how to name the path.

use proc_macro_crate::{Error, FoundCrate, crate_name};
use proc_macro2::Span;
use syn::{Attribute, Ident, Path};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;

const SPEC: Spec = Spec {
    name: "eventwright",
    place: "on the type",
    keys: &["crate"],
};

pub(crate) fn path(cx: &Ctxt, attrs: &[Attribute]) -> Path {
    let mut krate = None;
    attr::parse_each(cx, attrs, &SPEC, |_, meta| {
        attr::set_once(cx, &mut krate, meta, attr::path_str(meta)?);
        Ok(())
    });
    krate.unwrap_or_else(|| from_manifest(cx))
}

fn from_manifest(cx: &Ctxt) -> Path {
    match crate_name("eventwright") {
        Ok(FoundCrate::Name(name)) if name != "eventwright" => {
            let name = Ident::new(&name, Span::call_site());
            syn::parse_quote!(::#name)
        }
        Err(Error::CrateNotFound { .. }) => {
            cx.syn_error(syn::Error::new(
                Span::call_site(),
                "this crate's Cargo.toml does not depend on `eventwright`: add it to \
                 [dependencies], or, when another crate re-exports it, name the path: \
                 #[eventwright(crate = \"other_crate::eventwright\")]",
            ));
            syn::parse_quote!(::eventwright)
        }
        // The runtime itself (its doc examples), or a manifest this cannot read: the usual
        // name, which rustc reports if it is wrong.
        _ => syn::parse_quote!(::eventwright),
    }
}
