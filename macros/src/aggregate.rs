//! `#[derive(Aggregate)]`: `#[aggregate(id = Type, event = Type, command = Type, name = "...",
//! snapshot_every = N, persistence = "...")]` → `impl Aggregate` (and `impl AggregateCommands`
//! with `command`).

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, LitStr, Path, Type};

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
    ],
};

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
        };
        attr::parse_each(cx, &input.attrs, &CONTAINER, |key, meta| {
            match key {
                "id" => attr::set_once(cx, &mut this.id, meta, attr::ty(meta)?),
                "event" => attr::set_once(cx, &mut this.event, meta, attr::ty(meta)?),
                "command" => attr::set_once(cx, &mut this.command, meta, attr::ty(meta)?),
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
    match &input.data {
        Data::Struct(data) => {
            for field in &data.fields {
                attr::reject(
                    &cx,
                    &field.attrs,
                    "aggregate",
                    "fields have no aggregate options",
                );
            }
        }
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
    // Spanned on `event = ...` so a missing `Apply<Kind>` impl is reported at the attribute.
    let apply = quote_spanned!(event.span()=> <#event as #krate::__private::ApplyEach<Self>>::apply_each(event, self));

    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::Aggregate for #ident #ty_generics #where_clause {
                const TYPE: &'static str = #name;
                type Id = #id;
                type Event = #event;
                #snapshot_every

                fn apply_event(&mut self, event: &Self::Event) {
                    #apply
                }

                #snapshots
                #state_row
            }

            #commands
        };
    })
}
