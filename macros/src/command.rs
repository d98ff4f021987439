//! `#[derive(Command)]`: `#[command(aggregate = Type, ...)]` and `#[command(id)]` → `impl Command`.

use heck::ToSnakeCase;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Field, Fields, LitStr, Path, Type};

use crate::attr::{self, Spec};
use crate::ctxt::Ctxt;
use crate::{commands, garde, krate, shape};

const CONTAINER: Spec = Spec {
    name: "command",
    place: "on the struct",
    keys: &["aggregate", "name", "creates", "retries", "validate"],
};
const FIELD: Spec = Spec {
    name: "command",
    place: "on a field",
    keys: &["id"],
};

/// What `#[command(...)]` on the struct says.
pub(crate) struct Attrs {
    pub krate: Path,
    pub aggregate: Option<Type>,
    pub name: Option<LitStr>,
    pub creates: Option<()>,
    pub retries: Option<u32>,
    /// The `validate` key itself, so a missing `garde::Validate` impl is reported there.
    pub validate: Option<Span>,
}

impl Attrs {
    pub(crate) fn parse(cx: &Ctxt, input: &DeriveInput) -> Self {
        let mut this = Self {
            krate: krate::path(cx, &input.attrs),
            aggregate: None,
            name: None,
            creates: None,
            retries: None,
            validate: None,
        };
        attr::parse_each(cx, &input.attrs, &CONTAINER, |key, meta| {
            match key {
                "aggregate" => attr::set_once(cx, &mut this.aggregate, meta, attr::ty(meta)?),
                "name" => attr::set_once(cx, &mut this.name, meta, attr::string(meta)?),
                "creates" => attr::set_once(cx, &mut this.creates, meta, attr::flag(meta)?),
                "retries" => attr::set_once(cx, &mut this.retries, meta, attr::int::<u32>(meta)?.0),
                _ => {
                    attr::flag(meta)?;
                    attr::set_once(cx, &mut this.validate, meta, meta.path.span());
                }
            }
            Ok(())
        });
        this
    }
}

/// The field `aggregate_id()` returns: the one marked `#[command(id)]`, else the one named `id`.
fn id_field<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Option<&'a Field> {
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => &fields.named,
            _ => {
                cx.error_spanned_by(
                    &input.ident,
                    "#[derive(Command)] needs a struct with named fields",
                );
                return None;
            }
        },
        Data::Enum(_) | Data::Union(_) => {
            cx.error_spanned_by(
                &input.ident,
                "#[derive(Command)] needs a struct with named fields, or an enum of command structs",
            );
            return None;
        }
    };
    let mut marked: Option<&Field> = None;
    for field in fields {
        let mut is_id = None;
        attr::parse_each(cx, &field.attrs, &FIELD, |_, meta| {
            attr::set_once(cx, &mut is_id, meta, attr::flag(meta)?);
            Ok(())
        });
        if is_id.is_some() {
            match marked {
                Some(first) => cx.error_spanned_by(
                    &field.ident,
                    format!(
                        "only one field holds the aggregate id; `{}` is already marked #[command(id)]",
                        first.ident.as_ref().map(|ident| ident.unraw().to_string()).unwrap_or_default()
                    ),
                ),
                None => marked = Some(field),
            }
        }
    }
    let by_name = || {
        fields.iter().find(|field| {
            field
                .ident
                .as_ref()
                .is_some_and(|ident| ident.unraw() == "id")
        })
    };
    let found = marked.or_else(by_name);
    if found.is_none() {
        cx.error_spanned_by(
            &input.ident,
            "mark the field holding the aggregate id with #[command(id)]",
        );
    }
    found
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    if let Data::Enum(data) = &input.data {
        return commands::expand(input, data);
    }
    let cx = Ctxt::new();
    let attrs = Attrs::parse(&cx, input);
    shape::no_generics(&cx, input, "Command");
    let id_field = id_field(&cx, input);
    if attrs.aggregate.is_none() {
        cx.error_spanned_by(
            &input.ident,
            "missing `aggregate` in #[command(...)], e.g. #[command(aggregate = Order)]",
        );
    }
    cx.check()?;
    let (Some(aggregate), Some(id_field)) = (&attrs.aggregate, id_field) else {
        unreachable!("checked above")
    };

    let krate = &attrs.krate;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let name = attrs
        .name
        .as_ref()
        .map_or_else(|| ident.unraw().to_string().to_snake_case(), LitStr::value);
    let creates = attrs.creates.map(|()| {
        quote!(
            const CREATES: bool = true;
        )
    });
    let retries = attrs
        .retries
        .map(|retries| quote!(const RETRIES_ON_CONFLICT: u32 = #retries;));

    // Spanned on the field's type, so an id of the wrong type is reported on the field.
    let field = &id_field.ident;
    let aggregate_id = quote_spanned!(id_field.ty.span()=> &self.#field);

    let validate = attrs
        .validate
        .map(|span| garde::validate_method(krate, span));

    // The aggregate's `HandleWith` impl for this command if it has one, else its `Handle`
    // impl (see `__private::Probe`). Spanned on `aggregate = ...`, so an aggregate with neither
    // is reported there, listing both bounds.
    let private = quote!(#krate::__private);
    let handle_on = quote_spanned! {aggregate.span()=>
        #[allow(unused_imports)]
        use #private::{ViaHandle as _, ViaHandleWith as _};
        (&&#private::Probe::<#aggregate, Self>::new()).handle_command(state, self, surroundings)
    };

    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::Command for #ident #ty_generics #where_clause {
                type Aggregate = #aggregate;
                const NAME: &'static str = #name;
                #creates
                #retries

                fn aggregate_id(&self) -> &<Self::Aggregate as #krate::Aggregate>::Id {
                    #aggregate_id
                }

                #validate

                fn handle_on<'a>(
                    &'a self,
                    state: &'a Self::Aggregate,
                    surroundings: #krate::command::Surroundings<'a>,
                ) -> #private::core::result::Result<#krate::Handled<'a, Self::Aggregate>, #krate::MissingServices> {
                    #handle_on
                }
            }
        };
    })
}
