//! Derive macros for [eventwright](https://docs.rs/eventwright): `Aggregate`, `Command`,
//! `Decision`, `DomainRejection`, `Event`, `Fact`, `Projection`, `Policy` and `ProcessManager`.
//! Use them through the `eventwright` crate, which documents them.

mod aggregate;
mod attr;
mod command;
mod commands;
mod ctxt;
mod decision;
mod event;
mod fact;
mod fallback;
mod garde;
mod krate;
mod projection;
mod received;
mod rejection;
mod respan;
mod shape;
#[cfg(test)]
mod tests;
mod upcast;
mod workflow;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};
use workflow::Role;

#[proc_macro_derive(Event, attributes(event, eventwright))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    event::expand(&input)
        .unwrap_or_else(|error| fallback::event(&input, error))
        .into()
}

#[proc_macro_derive(Aggregate, attributes(aggregate, eventwright))]
pub fn derive_aggregate(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    aggregate::expand(&input)
        .unwrap_or_else(|error| fallback::aggregate(&input, error))
        .into()
}

#[proc_macro_derive(Command, attributes(command, eventwright))]
pub fn derive_command(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    command::expand(&input)
        .unwrap_or_else(|error| fallback::command(&input, error))
        .into()
}

#[proc_macro_derive(Decision, attributes(decision, eventwright))]
pub fn derive_decision(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    decision::expand(&input)
        .unwrap_or_else(|error| fallback::decision(&input, error))
        .into()
}

#[proc_macro_derive(Fact, attributes(fact, eventwright))]
pub fn derive_fact(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    fact::expand(&input)
        .unwrap_or_else(|error| fallback::fact(&input, error))
        .into()
}

#[proc_macro_derive(DomainRejection, attributes(rejection, eventwright))]
pub fn derive_domain_rejection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    rejection::expand(&input)
        .unwrap_or_else(|error| fallback::domain_rejection(&input, error))
        .into()
}

#[proc_macro_derive(Projection, attributes(projection, eventwright))]
pub fn derive_projection(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    projection::expand(&input)
        .unwrap_or_else(|error| fallback::projection(&input, error))
        .into()
}

#[proc_macro_derive(Policy, attributes(policy, eventwright))]
pub fn derive_policy(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    workflow::expand(&input, Role::Policy)
        .unwrap_or_else(|error| fallback::workflow(&input, error, Role::Policy))
        .into()
}

#[proc_macro_derive(ProcessManager, attributes(process, eventwright))]
pub fn derive_process_manager(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    workflow::expand(&input, Role::Process)
        .unwrap_or_else(|error| fallback::workflow(&input, error, Role::Process))
        .into()
}
