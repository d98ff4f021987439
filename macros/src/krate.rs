//! The path generated code uses to reach the runtime crate: `::eventwright` unless
//! `#[eventwright(crate = "...")]` says otherwise (for a renamed or re-exported dependency).

use syn::{Attribute, Path};

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
    krate.unwrap_or_else(|| syn::parse_quote!(::eventwright))
}
