//! `#[derive(Command)]` on an enum of commands, one command struct per newtype variant →
//! `impl Commands` dispatching each variant as its own command, and `From` per variant.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DataEnum, DeriveInput, Fields, Type, Variant};

use crate::ctxt::Ctxt;
use crate::{attr, krate, shape};

pub(crate) fn expand(input: &DeriveInput, data: &DataEnum) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let krate = krate::path(&cx, &input.attrs);
    shape::no_generics(&cx, input, "Command");
    attr::reject(
        &cx,
        &input.attrs,
        "command",
        "an enum of commands takes each command's options from the struct it holds",
    );
    if data.variants.is_empty() {
        cx.error_spanned_by(
            &input.ident,
            "an enum of commands needs at least one variant, one per command struct",
        );
    }
    let variants: Vec<(&Variant, &Type)> = data
        .variants
        .iter()
        .filter_map(|variant| {
            attr::reject(
                &cx,
                &variant.attrs,
                "command",
                "a variant takes its options from the command struct it holds",
            );
            Some((variant, newtype(&cx, variant)?))
        })
        .collect();
    let mut seen = HashMap::new();
    for (variant, ty) in &variants {
        let ident = &variant.ident;
        if let Some(first) = seen.insert(ty.to_token_stream().to_string(), ident) {
            cx.error_spanned_by(
                ty,
                format!(
                    "variants `{first}` and `{ident}` hold the same command: keep one, so each \
                     command has one variant"
                ),
            );
        }
    }
    cx.check()?;

    let core = quote!(#krate::__private::core);
    let ident = &input.ident;
    let names = variants.iter().map(|(variant, ty)| {
        let variant = &variant.ident;
        // Spanned on the held type: one that is not a command is reported there.
        let name = quote_spanned!(ty.span()=> <#ty as #krate::Command>::NAME);
        quote!(Self::#variant(_) => #name)
    });
    let dispatches = variants.iter().map(|(variant, ty)| {
        let variant = &variant.ident;
        let dispatch = quote_spanned!(ty.span()=> #krate::Dispatcher::dispatch::<#ty>);
        quote!(Self::#variant(command) => #dispatch(dispatcher, command, metadata).await)
    });
    let conversions = variants.iter().map(|(variant, ty)| {
        let variant = &variant.ident;
        quote! {
            #[automatically_derived]
            impl #core::convert::From<#ty> for #ident {
                fn from(command: #ty) -> Self {
                    Self::#variant(command)
                }
            }
        }
    });

    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #krate::Commands for #ident {
                fn name(&self) -> &'static str {
                    match self {
                        #(#names,)*
                    }
                }

                fn dispatch_with(
                    self,
                    dispatcher: &#krate::Dispatcher,
                    metadata: #krate::Metadata,
                ) -> impl #core::future::Future<
                    Output = #core::result::Result<#krate::Committed, #krate::DispatchError>,
                > + #core::marker::Send {
                    async move {
                        match self {
                            #(#dispatches,)*
                        }
                    }
                }
            }

            #(#conversions)*
        };
    })
}

/// The command struct a `Variant(Command)` holds; an error for any other shape of variant.
fn newtype<'a>(cx: &Ctxt, variant: &'a Variant) -> Option<&'a Type> {
    match &variant.fields {
        Fields::Unnamed(fields) if fields.unnamed.len() == 1 => Some(&fields.unnamed[0].ty),
        fields => {
            let ident = &variant.ident;
            cx.error_spanned_by(
                quote!(#ident #fields),
                format!(
                    "each variant of an enum of commands holds one command struct, e.g. \
                     `{ident}({ident})`"
                ),
            );
            None
        }
    }
}
