//! Shapes of input no derive supports, rejected the same way by each.

use syn::DeriveInput;

use crate::ctxt::Ctxt;

/// Generic parameters: each derived type is stored or routed under one stable name, which can
/// only stand for one concrete type.
pub(crate) fn no_generics(cx: &Ctxt, input: &DeriveInput, derive: &str) {
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            format!(
                "#[derive({derive})] does not support generic parameters: a stored name stands for \
                 one concrete type; remove the parameters, or derive on a concrete wrapper type"
            ),
        );
    }
}
