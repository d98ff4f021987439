//! `#[derive(DomainRejection)]`: on an enum, `#[rejection(code = "...", field = "...",
//! invalid)]` on each variant → `impl DomainRejection` (code, field and kind per variant).

use std::collections::HashMap;

use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Data, DeriveInput, LitStr, Variant};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;
use crate::{krate, shape};

const VARIANT: Spec = Spec {
    name: "rejection",
    place: "on a variant",
    keys: &["code", "field", "invalid"],
};

/// What `#[rejection(...)]` says of one variant.
struct Reason<'a> {
    variant: &'a Variant,
    code: LitStr,
    field: Option<LitStr>,
    invalid: bool,
}

fn reasons<'a>(cx: &Ctxt, variants: impl Iterator<Item = &'a Variant>) -> Vec<Reason<'a>> {
    let mut reasons = Vec::new();
    let mut codes: HashMap<String, &Variant> = HashMap::new();
    for variant in variants {
        let (mut code, mut field, mut invalid) = (None, None, None);
        let mut code_written = false;
        attr::parse_each(cx, &variant.attrs, &VARIANT, |key, meta| {
            match key {
                "code" => {
                    code_written = true;
                    let lit = attr::string(meta)?;
                    check_code(&lit)?;
                    attr::set_once(cx, &mut code, meta, lit);
                }
                "field" => attr::set_once(cx, &mut field, meta, attr::string(meta)?),
                _ => {
                    attr::flag(meta)?;
                    attr::set_once(cx, &mut invalid, meta, ());
                }
            }
            Ok(())
        });
        let Some(code) = code else {
            if code_written {
                // Its mistake is reported already.
                continue;
            }
            let suggested = variant.ident.to_string().to_snake_case();
            cx.error_spanned_by(
                &variant.ident,
                format!(
                    "`{}` has no code: clients match on it, so each reason names one that \
                     outlives its wording, e.g. #[rejection(code = \"{suggested}\")]",
                    variant.ident
                ),
            );
            continue;
        };
        if let Some(first) = codes.insert(code.value(), variant) {
            cx.error_spanned_by(
                &code,
                format!(
                    "the code \"{}\" is `{}`'s already: each reason needs its own",
                    code.value(),
                    first.ident
                ),
            );
        }
        reasons.push(Reason {
            variant,
            code,
            field,
            invalid: invalid.is_some(),
        });
    }
    reasons
}

/// A code is what clients branch on: plain words joined by `_`, `-` or `.`.
fn check_code(code: &LitStr) -> syn::Result<()> {
    let value = code.value();
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if value.is_empty() || !value.chars().all(plain) {
        return Err(syn::Error::new_spanned(
            code,
            "a code is letters, digits, `_`, `-` and `.`, e.g. \"insufficient_funds\"",
        ));
    }
    Ok(())
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let krate = krate::path(&cx, &input.attrs);
    shape::no_generics(&cx, input, "DomainRejection");
    let Data::Enum(data) = &input.data else {
        cx.error_spanned_by(
            &input.ident,
            "#[derive(DomainRejection)] needs an enum, one variant per reason to refuse, e.g. \
             `enum AccountRejection { #[rejection(code = \"overdrawn\")] Overdrawn }`; a \
             handler with a single reason can return `eventwright::Rejection`",
        );
        return Err(cx.check().expect_err("an error was recorded"));
    };
    let reasons = reasons(&cx, data.variants.iter());
    cx.check()?;

    let ident = &input.ident;
    let private = quote!(#krate::__private);
    let option = quote!(#private::core::option::Option);
    let codes = reasons.iter().map(|reason| {
        let variant = &reason.variant.ident;
        let code = &reason.code;
        quote!(Self::#variant { .. } => #code,)
    });
    let fields = reasons.iter().filter_map(|reason| {
        let variant = &reason.variant.ident;
        let field = reason.field.as_ref()?;
        Some(quote!(Self::#variant { .. } => #option::Some(#field),))
    });
    let invalid = reasons
        .iter()
        .filter(|reason| reason.invalid)
        .map(|reason| {
            let variant = &reason.variant.ident;
            quote!(Self::#variant { .. } => #krate::RejectionKind::Invalid,)
        });
    // Spanned on the enum's name, so a missing message is reported there, with a hint.
    let message = quote_spanned!(ident.span()=> #private::rejection_has_message::<#ident>);

    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #krate::DomainRejection for #ident {
                fn code(&self) -> &str {
                    match *self {
                        #(#codes)*
                    }
                }

                #[allow(unreachable_patterns)]
                fn field(&self) -> #option<&str> {
                    match *self {
                        #(#fields)*
                        _ => #option::None,
                    }
                }

                #[allow(unreachable_patterns)]
                fn kind(&self) -> #krate::RejectionKind {
                    match *self {
                        #(#invalid)*
                        _ => #krate::RejectionKind::Refused,
                    }
                }
            }

            let _ = #message;
        };
    })
}
