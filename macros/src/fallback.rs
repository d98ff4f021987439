//! What a failed derive emits beside its errors: impls of the right shape with unreachable
//! bodies, so code that uses the type does not fail too and bury the real error.
//!
//! The attributes are parsed again leniently (errors dropped: they are already reported) to
//! recover the associated types; without them there is no sensible stub and none is emitted.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Generics};

use crate::ctxt::Ctxt;
use crate::received::Received;
use crate::workflow::{self, Role};
use crate::{aggregate, command, decision, fact, krate, projection};

pub(crate) fn event(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let krate = krate::path(&Ctxt::new(), &input.attrs);
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let apply_generics = with_param(&input.generics, quote!(__A));
    let (apply_impl, _, apply_where) = apply_generics.split_for_impl();
    let project_generics = with_param(&input.generics, quote!(__P));
    let (project_impl, _, project_where) = project_generics.split_for_impl();
    let react_generics = with_param(&input.generics, quote!(__W));
    let (react_impl, _, react_where) = react_generics.split_for_impl();
    let handle_generics = with_param(
        &input.generics,
        quote!(__M: #krate::workflow::ProcessManager),
    );
    let (handle_impl, _, handle_where) = handle_generics.split_for_impl();
    let manager = quote!(<__M as #krate::workflow::ProcessManager>);
    stubs(
        input,
        error,
        quote! {
            impl #impl_generics #krate::Event for #ident #ty_generics #where_clause {
                const NAMES: &'static [&'static str] = &[];
                fn event_type(&self) -> &'static str { #core::unreachable!() }
                fn event_version(&self) -> u32 { #core::unreachable!() }
                fn encode(&self) -> #core::result::Result<#private::serde_json::Value, #private::serde_json::Error> {
                    #core::unreachable!()
                }
                fn decode(
                    _: &str,
                    _: u32,
                    _: #private::serde_json::Value,
                ) -> #core::result::Result<#core::option::Option<Self>, #krate::DecodeError> {
                    #core::unreachable!()
                }
            }

            impl #apply_impl #private::ApplyEach<__A> for #ident #ty_generics #apply_where {
                fn apply_each(&self, _: &mut __A) { #core::unreachable!() }
            }

            impl #project_impl #private::ProjectEach<__P> for #ident #ty_generics #project_where {
                fn rows_each(&self, _: &#krate::EventEnvelope) -> #krate::projection::Rows {
                    #core::unreachable!()
                }
                fn joins_each(
                    &self,
                    _: &#krate::EventEnvelope,
                ) -> #private::std::vec::Vec<#krate::projection::Join> {
                    #core::unreachable!()
                }
                fn project_each(
                    &self,
                    _: #core::option::Option<__P>,
                    _: &#krate::EventEnvelope,
                    _: &#krate::projection::Joined,
                ) -> #krate::Change<__P> {
                    #core::unreachable!()
                }
            }

            impl #react_impl #private::ReactEach<__W> for #ident #ty_generics #react_where {
                fn react_each(&self, _: &__W, _: &#krate::EventEnvelope, _: &mut #krate::workflow::Steps) {
                    #core::unreachable!()
                }
            }

            impl #handle_impl #private::HandleEach<__M> for #ident #ty_generics #handle_where {
                fn correlate_each(
                    &self,
                    _: &#krate::EventEnvelope,
                ) -> #core::option::Option<#private::std::string::String> {
                    #core::unreachable!()
                }
                fn starts_each(&self) -> bool { #core::unreachable!() }
                fn handle_each(
                    &self,
                    _: &__M,
                    _: &mut #manager::State,
                    _: &#krate::EventEnvelope,
                    _: &mut #krate::workflow::Steps<#manager::Timer>,
                ) {
                    #core::unreachable!()
                }
            }
        },
    )
}

pub(crate) fn aggregate(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let attrs = aggregate::Attrs::parse(&Ctxt::new(), input);
    let (Some(id), Some(event)) = (attrs.id, attrs.event) else {
        return error.into_compile_error();
    };
    let krate = &attrs.krate;
    let services = attrs
        .services
        .map_or_else(|| quote!(()), |services| quote!(#services));
    let rejection = attrs
        .rejection
        .map_or_else(|| quote!(#krate::Rejection), |rejection| quote!(#rejection));
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    stubs(
        input,
        error,
        quote! {
            impl #impl_generics #krate::Aggregate for #ident #ty_generics #where_clause {
                const TYPE: &'static str = "";
                type Id = #id;
                type Event = #event;
                type Services = #services;
                type Rejection = #rejection;
                fn apply_event(&mut self, _: &Self::Event) {}
            }
        },
    )
}

pub(crate) fn command(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let attrs = command::Attrs::parse(&Ctxt::new(), input);
    let Some(aggregate) = attrs.aggregate else {
        return error.into_compile_error();
    };
    let krate = &attrs.krate;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    stubs(
        input,
        error,
        quote! {
            impl #impl_generics #krate::Command for #ident #ty_generics #where_clause {
                type Aggregate = #aggregate;
                const NAME: &'static str = "";
                fn aggregate_id(&self) -> &<Self::Aggregate as #krate::Aggregate>::Id {
                    #krate::__private::core::unreachable!()
                }
                fn handle_on<'a>(
                    &'a self,
                    _: &'a Self::Aggregate,
                    _: #krate::command::Surroundings<'a>,
                ) -> #krate::__private::core::result::Result<
                    #krate::Handled<'a, Self::Aggregate>,
                    #krate::MissingServices,
                > {
                    #krate::__private::core::unreachable!()
                }
            }
        },
    )
}

pub(crate) fn domain_rejection(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let krate = krate::path(&Ctxt::new(), &input.attrs);
    let ident = &input.ident;
    stubs(
        input,
        error,
        quote! {
            impl #krate::DomainRejection for #ident {
                fn code(&self) -> &str {
                    ""
                }
            }
        },
    )
}

pub(crate) fn decision(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let attrs = decision::Attrs::parse(&Ctxt::new(), input);
    let krate = &attrs.krate;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    stubs(
        input,
        error,
        quote! {
            impl #impl_generics #krate::Decision for #ident #ty_generics #where_clause {
                const NAME: &'static str = "";
                fn reads<R: #krate::decision::Reads>(&self, _: &mut R) {}
            }
        },
    )
}

pub(crate) fn fact(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let attrs = fact::Attrs::parse(&Ctxt::new(), input);
    let krate = &attrs.krate;
    let core = quote!(#krate::__private::core);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    stubs(
        input,
        error,
        quote! {
            impl #impl_generics #krate::decision::Fact for #ident #ty_generics #where_clause {
                const NAME: &'static str = "";
                fn query(&self) -> #krate::tag::EventQuery {
                    #core::default::Default::default()
                }
                fn fold(
                    &mut self,
                    _: &#krate::EventEnvelope,
                ) -> #core::result::Result<(), #krate::DecodeError> {
                    #core::result::Result::Ok(())
                }
            }
        },
    )
}

pub(crate) fn projection(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let attrs = projection::Attrs::parse(&Ctxt::new(), input);
    let Some(event) = attrs.event else {
        return error.into_compile_error();
    };
    let krate = &attrs.krate;
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    stubs(
        input,
        error,
        quote! {
            impl #impl_generics #krate::Projection for #ident #ty_generics #where_clause {
                const NAME: &'static str = "";
                const SCHEMA: #krate::TableSchema<'static> =
                    #krate::TableSchema { name: "", key: "", columns: &[], indexes: &[], summaries: &[] };
                type Event = #event;
                fn changed_rows(_: &Self::Event, _: &#krate::EventEnvelope) -> #krate::projection::Rows {
                    #core::unreachable!()
                }
                fn joins(
                    _: &Self::Event,
                    _: &#krate::EventEnvelope,
                ) -> #private::std::vec::Vec<#krate::projection::Join> {
                    #core::unreachable!()
                }
                fn project_event(
                    _: #core::option::Option<Self>,
                    _: &Self::Event,
                    _: &#krate::EventEnvelope,
                    _: &#krate::projection::Joined,
                ) -> #krate::Change<Self> {
                    #core::unreachable!()
                }
            }
        },
    )
}

pub(crate) fn workflow(input: &DeriveInput, error: syn::Error, role: Role) -> TokenStream {
    let attrs = workflow::model::Attrs::parse(&Ctxt::new(), input, role);
    // The event type: one, or several as their hidden enum, each type once (a type listed twice
    // would make the enum's impls conflict).
    let mut seen = std::collections::HashSet::new();
    let events = attrs.events.as_ref().map(|types| {
        let mut types = types.clone();
        types.retain(|ty| seen.insert(quote!(#ty).to_string()));
        types
    });
    let received = Received::of(attrs.event.as_ref(), events.as_deref())
        .filter(|received| !matches!(received, Received::Several([])));
    let (Some(received), false) = (received, role == Role::Process && attrs.state.is_none()) else {
        return error.into_compile_error();
    };
    let krate = &attrs.krate;
    let private = quote!(#krate::__private);
    let core = quote!(#private::core);
    let envelope = quote!(#krate::EventEnvelope);
    let steps = quote!(#krate::workflow::Steps);
    let ident = &input.ident;
    let (event, union) = received.event_type(krate, ident);
    let trait_ = workflow::workflow_trait(krate, role);
    let body = match role {
        Role::Policy => quote! {
            fn react(&self, _: &Self::Event, _: &#envelope, _: &mut #steps) {
                #core::unreachable!()
            }
        },
        Role::Process => {
            let state = &attrs.state;
            let timer = attrs
                .timer
                .as_ref()
                .map_or_else(|| quote!(()), |timer| quote!(#timer));
            quote! {
                type State = #state;
                type Timer = #timer;
                fn correlate(
                    &self,
                    _: &Self::Event,
                    _: &#envelope,
                ) -> #core::option::Option<#private::std::string::String> {
                    #core::unreachable!()
                }
                fn handle(
                    &self,
                    _: &mut Self::State,
                    _: &Self::Event,
                    _: &#envelope,
                    _: &mut #steps<Self::Timer>,
                ) {
                    #core::unreachable!()
                }
            }
        }
    };
    stubs(
        input,
        error,
        quote! {
            impl #trait_ for #ident {
                const NAME: &'static str = "";
                type Event = #event;
                #body
            }

            #union
        },
    )
}

/// The errors, then the stub impls in their own anonymous const. A generic type gets no stubs:
/// generics are refused, and stubs carrying them would only add errors about their bounds.
fn stubs(input: &DeriveInput, error: syn::Error, impls: TokenStream) -> TokenStream {
    let error = error.into_compile_error();
    if !input.generics.params.is_empty() {
        return error;
    }
    quote! {
        #error
        const _: () = {
            #impls
        };
    }
}

fn with_param(generics: &Generics, param: TokenStream) -> Generics {
    let mut generics = generics.clone();
    generics.params.push(syn::parse_quote!(#param));
    generics
}
