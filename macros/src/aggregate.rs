//! `#[derive(Aggregate)]`: `#[aggregate(id = Type, event = Type, command = Type, name = "...",
//! snapshot_every = N, persistence = "...", services = Type, rejection = Type)]` and `#[aggregate(unique)]` on fields →
//! `impl Aggregate` (and `impl AggregateCommands` with `command`).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Field, Fields, Ident, LitStr, Path, Type};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;
use crate::{krate, shape};

const CONTAINER: Spec = Spec {
    name: "aggregate",
    place: "on the struct",
    keys: &[
        "id",
        "event",
        "command",
        "name",
        "snapshot_every",
        "persistence",
        "services",
        "rejection",
    ],
};

const FIELD: Spec = Spec {
    name: "aggregate",
    place: "on a field",
    keys: &["unique"],
};
const UNIQUE: Spec = Spec {
    name: "unique",
    place: "inside #[aggregate(...)] on a field",
    keys: &["within"],
};

/// A field marked `#[aggregate(unique)]`: its value is held by at most one aggregate, among
/// those whose `within` field is the same when it names one.
struct UniqueField<'a> {
    field: &'a Field,
    within: Option<Ident>,
}

/// The fields marked unique, each checked: named, and `within` another field of the state.
fn unique_fields<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Vec<UniqueField<'a>> {
    let Data::Struct(data) = &input.data else {
        return Vec::new();
    };
    let mut unique = Vec::new();
    for field in &data.fields {
        let mut marked: Option<Option<Ident>> = None;
        attr::parse_each(cx, &field.attrs, &FIELD, |_, meta| {
            let mut within = None;
            if meta.input.peek(syn::token::Paren) {
                attr::parse_nested(cx, meta, &UNIQUE, |_, inner| {
                    attr::set_once(cx, &mut within, inner, attr::ident(inner)?);
                    Ok(())
                })?;
            } else {
                attr::flag(meta)?;
            }
            attr::set_once(cx, &mut marked, meta, within);
            Ok(())
        });
        let Some(within) = marked else { continue };
        if field.ident.is_none() {
            cx.error_spanned_by(
                field,
                "a unique value is named after its field: #[aggregate(unique)] needs a struct with named fields",
            );
            continue;
        }
        if let (Some(within), Fields::Named(fields)) = (&within, &data.fields) {
            let known = fields
                .named
                .iter()
                .any(|other| other.ident.as_ref().is_some_and(|ident| ident == within));
            if !known {
                cx.error_spanned_by(
                    within,
                    format!(
                        "`within` names a field of the state, and there is no field `{within}`"
                    ),
                );
            }
        }
        unique.push(UniqueField { field, within });
    }
    unique
}

/// What `#[aggregate(...)]` says, each key as found (all optional here; [`expand`] checks).
pub(crate) struct Attrs {
    pub krate: Path,
    pub id: Option<Type>,
    pub event: Option<Type>,
    pub command: Option<Type>,
    pub name: Option<LitStr>,
    /// The count, and where `snapshot_every` is written for errors about the state's serde impls.
    pub snapshot_every: Option<(u64, Span)>,
    /// Whether `persistence = "state_stored"`, and where, for errors about the state's serde
    /// impls.
    pub persistence: Option<(Persistence, LitStr)>,
    /// What `HandleWith` handlers are given; `()` when absent.
    pub services: Option<Type>,
    /// The domain's rejection type; `eventwright::Rejection` when absent.
    pub rejection: Option<Type>,
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Persistence {
    EventSourced,
    StateStored,
}

impl Persistence {
    const NAMES: [(&'static str, Persistence); 2] = [
        ("event_sourced", Persistence::EventSourced),
        ("state_stored", Persistence::StateStored),
    ];

    fn parse(lit: &LitStr) -> syn::Result<Self> {
        let value = lit.value();
        Self::NAMES
            .iter()
            .find(|(name, _)| *name == value)
            .map(|(_, persistence)| *persistence)
            .ok_or_else(|| {
                let names = Self::NAMES.iter().map(|(name, _)| *name);
                let message = match attr::did_you_mean(&value, names) {
                    Some(close) => {
                        format!("unknown persistence `{value}`; did you mean `{close}`?")
                    }
                    None => format!(
                        "unknown persistence `{value}`: write `\"event_sourced\"` (rebuilt from \
                         its events, the default) or `\"state_stored\"` (kept as a state row)"
                    ),
                };
                syn::Error::new_spanned(lit, message)
            })
    }
}

impl Attrs {
    pub(crate) fn parse(cx: &Ctxt, input: &DeriveInput) -> Self {
        let mut this = Self {
            krate: krate::path(cx, &input.attrs),
            id: None,
            event: None,
            command: None,
            name: None,
            snapshot_every: None,
            persistence: None,
            services: None,
            rejection: None,
        };
        attr::parse_each(cx, &input.attrs, &CONTAINER, |key, meta| {
            match key {
                "id" => attr::set_once(cx, &mut this.id, meta, attr::ty(meta)?),
                "event" => attr::set_once(cx, &mut this.event, meta, attr::ty(meta)?),
                "command" => attr::set_once(cx, &mut this.command, meta, attr::ty(meta)?),
                "services" => attr::set_once(cx, &mut this.services, meta, attr::ty(meta)?),
                "rejection" => attr::set_once(cx, &mut this.rejection, meta, attr::ty(meta)?),
                "name" => attr::set_once(cx, &mut this.name, meta, attr::string(meta)?),
                "persistence" => {
                    let lit = attr::string(meta)?;
                    let persistence = Persistence::parse(&lit)?;
                    attr::set_once(cx, &mut this.persistence, meta, (persistence, lit));
                }
                _ => {
                    let (every, lit) = attr::int::<u64>(meta)?;
                    if every == 0 {
                        return Err(syn::Error::new_spanned(
                            lit,
                            "`snapshot_every` counts events and must be at least 1; \
                             leave it out for no snapshots",
                        ));
                    }
                    attr::set_once(
                        cx,
                        &mut this.snapshot_every,
                        meta,
                        (every, meta.path.span()),
                    );
                }
            }
            Ok(())
        });
        this
    }
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let attrs = Attrs::parse(&cx, input);
    shape::no_generics(&cx, input, "Aggregate");
    let unique = unique_fields(&cx, input);
    match &input.data {
        Data::Struct(_) => {}
        Data::Enum(_) | Data::Union(_) => cx.error_spanned_by(
            &input.ident,
            "#[derive(Aggregate)] needs a struct: the aggregate's state, e.g. \
                 `struct Order { status: Status, lines: Vec<Line> }`",
        ),
    }
    for (key, value) in [("id", attrs.id.is_some()), ("event", attrs.event.is_some())] {
        if !value {
            cx.error_spanned_by(
                &input.ident,
                format!("missing `{key}` in #[aggregate(...)], e.g. #[aggregate(id = OrderId, event = OrderEvent)]"),
            );
        }
    }
    let state_stored = attrs
        .persistence
        .as_ref()
        .filter(|(persistence, _)| *persistence == Persistence::StateStored);
    if let (Some(_), Some((_, span))) = (state_stored, attrs.snapshot_every) {
        cx.syn_error(syn::Error::new(
            span,
            "a state-stored aggregate is loaded from its state row, which is always current, so \
             it keeps no snapshots; remove `snapshot_every`",
        ));
    }
    cx.check()?;
    let (Some(id), Some(event)) = (&attrs.id, &attrs.event) else {
        unreachable!("checked above")
    };

    let krate = &attrs.krate;
    let ident = &input.ident;
    let name = attrs
        .name
        .as_ref()
        .map_or_else(|| ident.to_string(), LitStr::value);
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let private = quote!(#krate::__private);
    let snapshot_every = attrs.snapshot_every.map(|(every, _)| {
        quote!(const SNAPSHOT_EVERY: #private::core::option::Option<u64> = #private::core::option::Option::Some(#every);)
    });
    let json = quote!(#private::serde_json);
    let result = quote!(#private::core::result::Result);
    // Spanned on `snapshot_every` so a state that is not serde-able is reported there.
    let snapshots = attrs.snapshot_every.map(|(_, span)| {
        quote_spanned! {span=>
            fn snapshot(&self) -> #result<#json::Value, #json::Error> {
                #private::snapshot::<Self>(self)
            }

            fn restore(snapshot: #json::Value) -> #result<Self, #json::Error> {
                #private::restore::<Self>(snapshot)
            }
        }
    });
    // Spanned on `"state_stored"`, likewise.
    let state_row = state_stored.map(|(_, lit)| {
        quote_spanned! {lit.span()=>
            const PERSISTENCE: #private::Persistence = #private::Persistence::StateStored;

            fn snapshot(&self) -> #result<#json::Value, #json::Error> {
                #private::state_row::<Self>(self)
            }

            fn restore(row: #json::Value) -> #result<Self, #json::Error> {
                #private::restore_state::<Self>(row)
            }
        }
    });
    // Spanned on `command = ...` so a type that is not a command enum is reported there.
    let commands = attrs.command.as_ref().map(|command| {
        quote_spanned! {command.span()=>
            #[automatically_derived]
            impl #impl_generics #krate::AggregateCommands for #ident #ty_generics #where_clause {
                type Commands = #command;
            }
        }
    });
    // Spanned on each field's type, so a type that cannot be a unique key is reported there.
    let unique_values = (!unique.is_empty()).then(|| {
        let holds = unique.iter().map(|UniqueField { field, within }| {
            let ident = field.ident.as_ref().expect("checked: named");
            let scope = format!("{name}.{}", ident.unraw());
            match within {
                None => quote_spanned!(field.ty.span()=> values.hold(#scope, &self.#ident);),
                Some(within) => quote_spanned!(field.ty.span()=> values.hold_within(#scope, &self.#within, &self.#ident);),
            }
        });
        quote! {
            fn unique_values(&self, values: &mut #krate::unique::UniqueValues) {
                #(#holds)*
            }
        }
    });
    // Spanned on each type, so one that cannot be services or a rejection is reported there.
    let services = attrs.services.as_ref().map_or_else(
        || {
            quote!(
                type Services = ();
            )
        },
        |services| quote_spanned!(services.span()=> type Services = #services;),
    );
    let rejection = attrs.rejection.as_ref().map_or_else(
        || quote!(type Rejection = #krate::Rejection;),
        |rejection| quote_spanned!(rejection.span()=> type Rejection = #rejection;),
    );
    // Spanned on `event = ...` so a missing `Apply<Kind>` impl is reported at the attribute.
    let apply = quote_spanned!(event.span()=> <#event as #krate::__private::ApplyEach<Self>>::apply_each(event, self));

    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::Aggregate for #ident #ty_generics #where_clause {
                const TYPE: &'static str = #name;
                type Id = #id;
                type Event = #event;
                #services
                #rejection
                #snapshot_every

                fn apply_event(&mut self, event: &Self::Event) {
                    #apply
                }

                #unique_values
                #snapshots
                #state_row
            }

            #commands
        };
    })
}
