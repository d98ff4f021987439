//! `impl Event` for the model, with its `From`, `KindOf` and routing impls.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Path, Variant};

use super::model::{Input, Kind, Kinds};
use super::routing::{conversions, routing};

pub(super) fn generate(parsed: &Input) -> TokenStream {
    let krate = &parsed.krate;
    let core = quote!(#krate::__private::core);
    let json = quote!(#krate::__private::serde_json);
    let ident = &parsed.input.ident;
    let (impl_generics, ty_generics, where_clause) = parsed.input.generics.split_for_impl();

    let (names, event_type, event_version, encode, decode) = match &parsed.kinds {
        Kinds::Struct(kind) => {
            let Kind { name, chain, .. } = kind;
            let version = chain.current;
            let decode = decode_arm(krate, kind, quote!(#ident #ty_generics), quote!(inner));
            (
                quote!(#name),
                quote!(#name),
                quote!(#version),
                quote_spanned!(ident.span()=> #krate::__private::encode_payload(self)),
                quote! {
                    match event_type {
                        #name => #decode,
                        _ => #core::result::Result::Ok(#core::option::Option::None),
                    }
                },
            )
        }
        Kinds::Enum(kinds) => {
            let names = kinds.iter().map(|(_, _, kind)| &kind.name);
            let types = kinds
                .iter()
                .map(|(Variant { ident: variant, .. }, _, kind)| {
                    let name = &kind.name;
                    quote!(Self::#variant(_) => #name)
                });
            let versions = kinds
                .iter()
                .map(|(Variant { ident: variant, .. }, _, kind)| {
                    let version = kind.chain.current;
                    quote!(Self::#variant(_) => #version)
                });
            // Spanned on each variant's type, so one that is not `Serialize` is reported there.
            let encodes = kinds.iter().map(|(Variant { ident: variant, .. }, ty, _)| {
                let encode = quote_spanned!(ty.span()=> #krate::__private::encode_payload(inner));
                quote!(Self::#variant(inner) => #encode)
            });
            let decodes = kinds
                .iter()
                .map(|(Variant { ident: variant, .. }, ty, kind)| {
                    let name = &kind.name;
                    let arm = decode_arm(
                        krate,
                        kind,
                        ty.to_token_stream(),
                        quote!(Self::#variant(inner)),
                    );
                    quote!(#name => #arm)
                });
            (
                quote!(#(#names),*),
                quote!(match self { #(#types,)* }),
                quote!(match self { #(#versions,)* }),
                quote!(match self { #(#encodes,)* }),
                quote! {
                    match event_type {
                        #(#decodes,)*
                        _ => #core::result::Result::Ok(#core::option::Option::None),
                    }
                },
            )
        }
    };
    let tags = tags_method(parsed);
    let conversions = conversions(parsed);
    let routing = routing(parsed);

    quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::Event for #ident #ty_generics #where_clause {
                const NAMES: &'static [&'static str] = &[#names];

                fn event_type(&self) -> &'static str {
                    #event_type
                }

                fn event_version(&self) -> u32 {
                    #event_version
                }

                fn encode(&self) -> #core::result::Result<#json::Value, #json::Error> {
                    #encode
                }

                fn decode(
                    event_type: &str,
                    event_version: u32,
                    payload: #json::Value,
                ) -> #core::result::Result<#core::option::Option<Self>, #krate::DecodeError> {
                    #decode
                }

                #tags
            }

            #conversions
            #routing
        };
    }
}

/// `fn tags`, adding each tag field of the kind at hand; none when no kind has tags.
fn tags_method(parsed: &Input) -> Option<TokenStream> {
    let krate = &parsed.krate;
    // Spanned on the field's name in `tags(...)`, so a missing field or one that cannot be a
    // tag's value is reported there.
    let adds = |kind: &Kind, payload: &str| {
        let adds = kind.tags.iter().map(|field| {
            let key = field.to_string();
            // The payload's name spanned on the field too: the whole value is reported there.
            let payload = syn::Ident::new(payload, field.span());
            quote_spanned!(field.span()=> tags.add(#key, &#payload.#field);)
        });
        quote!(#(#adds)*)
    };
    let body = match &parsed.kinds {
        Kinds::Struct(kind) if !kind.tags.is_empty() => adds(kind, "self"),
        Kinds::Enum(kinds) if kinds.iter().any(|(.., kind)| !kind.tags.is_empty()) => {
            let arms = kinds.iter().filter(|(.., kind)| !kind.tags.is_empty()).map(
                |(Variant { ident: variant, .. }, _, kind)| {
                    let adds = adds(kind, "inner");
                    quote!(Self::#variant(inner) => { #adds })
                },
            );
            quote! {
                #[allow(unreachable_patterns)]
                match self {
                    #(#arms)*
                    _ => {}
                }
            }
        }
        _ => return None,
    };
    Some(quote! {
        fn tags(&self, tags: &mut #krate::tag::Tags) {
            #body
        }
    })
}

/// Decodes one kind: checks the stored version, upcasts, then deserializes the payload as `ty`.
fn decode_arm(krate: &Path, kind: &Kind, ty: TokenStream, construct: TokenStream) -> TokenStream {
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let upcast = kind.chain.expand(&private);
    let rebind = (!kind.chain.steps.is_empty()).then(|| quote!(let mut payload = payload;));
    // Spanned on the kind's type, so one that is not `Deserialize` is reported there.
    let read = quote_spanned!(ty.span()=> #private::decode_payload::<#ty>(payload));
    quote! {{
        #rebind
        #upcast
        match #read {
            #core::result::Result::Ok(inner) => #core::result::Result::Ok(#core::option::Option::Some(#construct)),
            #core::result::Result::Err(error) => {
                #core::result::Result::Err(#krate::DecodeError::new(event_type, event_version, error))
            }
        }
    }}
}
