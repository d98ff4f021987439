//! `upcast(from = N, with = path)` on an event kind: the chain of functions that bring a payload
//! stored at an older version up to the current one, and its checks.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{LitInt, Path};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;

const SPEC: Spec = Spec {
    name: "upcast",
    place: "in #[event(...)]",
    keys: &["from", "with"],
};

/// One step, as written: from `from` to `from + 1`.
pub(crate) struct Upcast {
    pub from: (u32, LitInt),
    pub with: Path,
}

/// Parses one `upcast(from = 1, with = path)`; `None` when a key is missing (already reported).
pub(crate) fn parse(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Upcast>> {
    let (mut from, mut with) = (None, None);
    // Keys written but with a bad value are reported as such, not as missing too.
    let (mut wrote_from, mut wrote_with) = (false, false);
    attr::parse_nested(cx, meta, &SPEC, |key, inner| {
        match key {
            "from" => {
                wrote_from = true;
                attr::set_once(cx, &mut from, inner, attr::int(inner)?);
            }
            _ => {
                wrote_with = true;
                attr::set_once(cx, &mut with, inner, attr::path(inner)?);
            }
        }
        Ok(())
    })?;
    let missing = |key| {
        cx.error_spanned_by(
            &meta.path,
            format!(
                "missing `{key}` in upcast(...), e.g. upcast(from = 1, with = item_added_v1_to_v2)"
            ),
        );
    };
    match (from, with) {
        (Some(from), Some(with)) => Ok(Some(Upcast { from, with })),
        _ => {
            if !wrote_from {
                missing("from");
            }
            if !wrote_with {
                missing("with");
            }
            Ok(None)
        }
    }
}

/// The checked chain of one kind: every version from the oldest upcaster to the current one has
/// exactly one step.
pub(crate) struct Chain {
    pub current: u32,
    /// Steps by the version they start from; contiguous up to `current - 1`.
    pub steps: BTreeMap<u32, Path>,
}

impl Chain {
    /// Checks `upcasts` against the kind's `current` version. `version_tokens` is what a gap is
    /// reported at: the `version = N` literal, or the kind itself.
    pub(crate) fn check(
        cx: &Ctxt,
        current: u32,
        version_tokens: &dyn ToTokens,
        upcasts: Vec<Upcast>,
    ) -> Self {
        let mut steps = BTreeMap::new();
        for Upcast {
            from: (from, lit),
            with,
        } in upcasts
        {
            if from == 0 || from >= current {
                cx.error_spanned_by(
                    &lit,
                    format!(
                        "an upcaster starts from a version older than the current one, v{current}: \
                         `from` must be 1 to {}; to read v{from}, raise `version` first",
                        current.saturating_sub(1).max(1)
                    ),
                );
            } else if steps.insert(from, with).is_some() {
                cx.error_spanned_by(&lit, format!("a second upcaster from v{from}: keep one"));
            }
        }
        if let Some(&oldest) = steps.keys().next() {
            for missing in (oldest..current).filter(|version| !steps.contains_key(version)) {
                cx.error_spanned_by(
                    version_tokens,
                    format!(
                        "the upcaster chain to v{current} has a gap: nothing upcasts v{missing} to v{}; \
                         add `upcast(from = {missing}, with = ...)`",
                        missing + 1
                    ),
                );
            }
        }
        Self { current, steps }
    }

    /// The oldest version this kind reads.
    pub(crate) fn oldest(&self) -> u32 {
        self.steps.keys().next().copied().unwrap_or(self.current)
    }

    /// Statements bringing `payload`, stored at `event_version`, to the current version.
    pub(crate) fn expand(&self, private: &TokenStream) -> TokenStream {
        let (current, oldest) = (self.current, self.oldest());
        let json = quote!(#private::serde_json);
        let steps = self.steps.iter().map(|(from, with)| {
            // Spanned on the path, so a function of the wrong signature is reported there.
            let with = quote_spanned!(with.span()=> #with);
            quote! {
                if event_version <= #from {
                    let upcaster: fn(#json::Value) -> #private::core::result::Result<#json::Value, #private::std::string::String> = #with;
                    payload = #private::upcast(event_type, event_version, #from, upcaster, payload)?;
                }
            }
        });
        quote! {
            #private::check_version(event_type, event_version, #oldest, #current)?;
            #(#steps)*
        }
    }
}
