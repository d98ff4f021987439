//! `impl Policy` or `impl ProcessManager`, routing each event to the per-kind impls through its
//! event type's `ReactEach` / `HandleEach` (written by `#[derive(Event)]`), the impls of the
//! ignored kinds, and the hidden enum of several event types.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, Path, Type};

use super::model::{Attrs, Role};
use crate::received::{Received, variants};
use crate::respan::respan;

pub(crate) fn generate(input: &DeriveInput, attrs: &Attrs, role: Role) -> TokenStream {
    let Some(received) = Received::of(attrs.event.as_ref(), attrs.events.as_deref()) else {
        unreachable!("checked: `event` or `events` is given")
    };
    let krate = &attrs.krate;
    let ident = &input.ident;
    let name = attrs
        .name
        .as_ref()
        .map(|name| name.value())
        .unwrap_or_default();
    let (event, union) = received.event_type(krate, ident);
    let body = match role {
        Role::Policy => policy(krate, &received),
        Role::Process => process(krate, attrs, &received),
    };
    let trait_ = workflow_trait(krate, role);
    let ignored = attrs
        .ignore
        .iter()
        .map(|kind| ignored(krate, ident, kind, role));
    quote! {
        const _: () = {
            #[automatically_derived]
            impl #trait_ for #ident {
                const NAME: &'static str = #name;
                type Event = #event;

                #body
            }

            #(#ignored)*

            #union
        };
    }
}

pub(crate) fn workflow_trait(krate: &Path, role: Role) -> TokenStream {
    match role {
        Role::Policy => quote!(#krate::workflow::Policy),
        Role::Process => quote!(#krate::workflow::ProcessManager),
    }
}

/// `call` on the event's own type, through `trait_`: on `event` for one type, on the one a
/// variant of the hidden enum holds for several. Spanned on each type as listed, so a kind
/// without its impl is reported there, with a note pointing at the variant that holds it.
fn route(received: &Received, trait_: TokenStream, call: TokenStream) -> TokenStream {
    let each = |ty: &Type| quote_spanned!(ty.span()=> <#ty as #trait_>);
    match received {
        Received::One(ty) => {
            let each = each(ty);
            quote!(#each::#call)
        }
        Received::Several(types) => {
            let arms = variants(types)
                .into_iter()
                .zip(*types)
                .map(|(variant, ty)| {
                    let each = each(ty);
                    quote!(Self::Event::#variant(event) => #each::#call,)
                });
            quote! {
                match event {
                    #(#arms)*
                }
            }
        }
    }
}

fn policy(krate: &Path, received: &Received) -> TokenStream {
    let private = quote!(#krate::__private);
    let react = route(
        received,
        quote!(#private::ReactEach<Self>),
        quote!(react_each(event, self, envelope, steps)),
    );
    quote! {
        fn react(
            &self,
            event: &Self::Event,
            envelope: &#krate::EventEnvelope,
            steps: &mut #krate::workflow::Steps,
        ) {
            #react
        }
    }
}

fn process(krate: &Path, attrs: &Attrs, received: &Received) -> TokenStream {
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let steps = quote!(#krate::workflow::Steps<Self::Timer>);
    let each = quote!(#private::HandleEach<Self>);
    let correlate = route(
        received,
        each.clone(),
        quote!(correlate_each(event, envelope)),
    );
    let starts = route(received, each.clone(), quote!(starts_each(event)));
    let handle = route(
        received,
        each,
        quote!(handle_each(event, self, state, envelope, steps)),
    );
    let state = &attrs.state;
    let timer = attrs
        .timer
        .as_ref()
        .map_or_else(|| quote!(()), |timer| quote!(#timer));
    // Each function is first coerced to the signature the method has, spanned on its path, so
    // one of another signature is reported there, with both signatures.
    let on_timer = attrs.on_timer.as_ref().map(|path| {
        quote! {
            fn on_timer(&self, state: &mut Self::State, timer: Self::Timer, steps: &mut #steps) {
                let on_timer: fn(&Self, &mut Self::State, Self::Timer, &mut #steps) = #path;
                on_timer(self, state, timer, steps)
            }
        }
    });
    let on_refused = attrs.on_refused.as_ref().map(|path| {
        quote! {
            fn on_refused(
                &self,
                state: &mut Self::State,
                refused: &#krate::workflow::Refused<'_>,
                steps: &mut #steps,
            ) {
                let on_refused: fn(&Self, &mut Self::State, &#krate::workflow::Refused<'_>, &mut #steps) = #path;
                on_refused(self, state, refused, steps)
            }
        }
    });
    quote! {
        type State = #state;
        type Timer = #timer;

        fn correlate(
            &self,
            event: &Self::Event,
            envelope: &#krate::EventEnvelope,
        ) -> #core::option::Option<#private::std::string::String> {
            #correlate
        }

        fn starts(&self, event: &Self::Event) -> bool {
            #starts
        }

        fn handle(
            &self,
            state: &mut Self::State,
            event: &Self::Event,
            envelope: &#krate::EventEnvelope,
            steps: &mut #steps,
        ) {
            #handle
        }

        #on_timer
        #on_refused
    }
}

/// The impl of a kind in `ignore(..)`: no commands; for a process manager, no process.
fn ignored(krate: &Path, ident: &Ident, kind: &Type, role: Role) -> TokenStream {
    let core = quote!(#krate::__private::core);
    let envelope = quote!(#krate::EventEnvelope);
    // The impl spanned on the listed kind: `React<Kind>` and `Handles<Kind>` ask that it be a
    // kind of the event, so one that is not is reported there, once.
    let (trait_, body) = match role {
        Role::Policy => (
            quote!(#krate::workflow::React<#kind>),
            quote! {
                fn react(&self, _: &#kind, _: &#envelope, _: &mut #krate::workflow::Steps) {}
            },
        ),
        Role::Process => {
            let manager = quote!(<Self as #krate::workflow::ProcessManager>);
            (
                quote!(#krate::workflow::Handles<#kind>),
                quote! {
                    fn correlate(
                        _: &#kind,
                        _: &#envelope,
                    ) -> #core::option::Option<#krate::__private::std::string::String> {
                        #core::option::Option::None
                    }

                    fn handle(
                        &self,
                        _: &mut #manager::State,
                        _: &#kind,
                        _: &#envelope,
                        _: &mut #krate::workflow::Steps<#manager::Timer>,
                    ) {
                    }
                },
            )
        }
    };
    let trait_ = respan(trait_, kind.span());
    let this = respan(quote!(#ident), kind.span());
    quote! {
        #[automatically_derived]
        impl #trait_ for #this {
            #body
        }
    }
}
