//! Rules across kinds: names and inner types are unique within an enum.

use std::collections::HashMap;

use quote::{ToTokens, quote};

use super::model::{Input, Kinds};
use crate::ctxt::Ctxt;

/// Names are unique within the enum, and so are the inner types (each gets a `From` impl).
pub(super) fn check(cx: &Ctxt, parsed: &Input) {
    let Kinds::Enum(kinds) = &parsed.kinds else {
        return;
    };
    let mut names = HashMap::new();
    let mut types = HashMap::new();
    for (variant, ty, kind) in kinds {
        let ident = &variant.ident;
        if let Some(first) = names.insert(kind.name.as_str(), ident) {
            cx.error_spanned_by(
                &kind.name_tokens,
                format!(
                    "duplicate event name `{}`: variant `{first}` already uses it",
                    kind.name
                ),
            );
        }
        let key = ty.to_token_stream().to_string();
        if let Some(first) = types.insert(key, ident) {
            let ty_name = ty.to_token_stream().to_string().replace(' ', "");
            let fields = &variant.fields;
            cx.error_spanned_by(
                quote!(#ident #fields),
                format!("variants `{first}` and `{ident}` both hold `{ty_name}`: give each event kind its own type"),
            );
        }
    }
}
