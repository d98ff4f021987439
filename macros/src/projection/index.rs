//! The indexes a projection's lists read: `#[projection(index)]` on a field (rows holding a
//! value of it, in key order), and `#[projection(index(a, b, order = c))]` on the struct (rows
//! holding values of `a` and `b`, in the order of `c`, then the key).

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;

use super::Column;
use crate::attr;
use crate::ctxt::Ctxt;
use crate::respan::respan;

/// One `index(...)`, as written.
pub(crate) struct IndexAttr {
    /// The `index` key, for errors about the whole index.
    pub at: syn::Path,
    pub equal: Vec<Ident>,
    pub order: Option<Ident>,
}

/// `index(field, field, order = field)`.
pub(crate) fn parse(meta: &ParseNestedMeta) -> syn::Result<IndexAttr> {
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(
            "expected the fields in parentheses: `index(customer, status)` or \
             `index(customer, order = placed_at)`",
        ));
    }
    let fork = meta.input.fork();
    let content;
    syn::parenthesized!(content in fork);
    if content.is_empty() {
        return Err(
            meta.error("an index needs fields: `index(customer)` or `index(order = placed_at)`")
        );
    }
    let mut index = IndexAttr {
        at: meta.path.clone(),
        equal: Vec::new(),
        order: None,
    };
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("order") && inner.input.peek(syn::Token![=]) {
            let field: Ident = inner.value()?.call(Ident::parse_any)?;
            if index.order.replace(field).is_some() {
                return Err(inner.error("duplicate `order`: an index has one order"));
            }
            return Ok(());
        }
        let Some(field) = inner.path.get_ident() else {
            return Err(inner.error("expected a field name"));
        };
        attr::flag(&inner)?;
        index.equal.push(field.clone());
        Ok(())
    })?;
    Ok(index)
}

/// Every index, checked: from the fields marked `index` and from `index(...)` on the struct.
/// Each names fields of the struct, other than the key for its order, once each, and no two
/// indexes are alike.
pub(crate) fn check(
    cx: &Ctxt,
    written: &[IndexAttr],
    columns: &[Column<'_>],
    key: &str,
) -> Vec<Checked> {
    let mut indexes: Vec<Checked> = columns
        .iter()
        .filter(|column| column.indexed)
        .map(|column| Checked {
            equal: vec![column.name.clone()],
            order: None,
        })
        .collect();
    for index in written {
        let known = |field: &Ident| {
            let name = field.unraw().to_string();
            if columns.iter().any(|column| column.name == name) {
                return Some(name);
            }
            let names = columns.iter().map(|column| column.name.as_str());
            let message = match attr::did_you_mean(&name, names) {
                Some(close) => format!("no field `{name}` to index; did you mean `{close}`?"),
                None => format!("no field `{name}` to index"),
            };
            cx.error_spanned_by(field, message);
            None
        };
        let mut equal = Vec::new();
        for field in &index.equal {
            if let Some(name) = known(field) {
                if equal.contains(&name) {
                    cx.error_spanned_by(field, format!("`{name}` is already in this index"));
                }
                equal.push(name);
            }
        }
        let order = index.order.as_ref().and_then(|field| {
            let name = known(field)?;
            if name == key {
                cx.error_spanned_by(
                    field,
                    "every list is in key order already: `order` takes another field",
                );
            } else if equal.contains(&name) {
                cx.error_spanned_by(
                    field,
                    format!(
                        "`{name}` is compared for equality here: ordering by it orders nothing"
                    ),
                );
            }
            Some(name)
        });
        let checked = Checked { equal, order };
        if indexes.contains(&checked) {
            cx.error_spanned_by(&index.at, "this index is declared already");
        }
        indexes.push(checked);
    }
    indexes
}

/// An index whose fields are known.
#[derive(PartialEq)]
pub(crate) struct Checked {
    equal: Vec<String>,
    order: Option<String>,
}

/// The `Index` constants of the schema, and the checks of their fields' types, made when the
/// crate compiles: a list or value object compared whole, or an order by a field with no order
/// or that may be missing, fails there.
pub(crate) fn expand(
    krate: &TokenStream,
    indexes: &[Checked],
    columns: &[Column<'_>],
) -> (TokenStream, TokenStream) {
    let private = quote!(#krate::__private);
    let ty_of = |name: &str| {
        columns
            .iter()
            .find(|column| column.name == name)
            .map(|column| &column.field.ty)
    };
    let mut checks = TokenStream::new();
    let values = indexes.iter().map(|index| {
        // Spanned whole on the field's type, so a failed check is reported on the field.
        for name in &index.equal {
            if let Some(ty) = ty_of(name) {
                let check = quote!(const _: () = #private::assert_comparable::<#ty>(););
                checks.extend(respan(check, ty.span()));
            }
        }
        if let Some(ty) = index.order.as_deref().and_then(ty_of) {
            let check = quote!(const _: () = #private::assert_orderable::<#ty>(););
            checks.extend(respan(check, ty.span()));
        }
        let equal = &index.equal;
        let order = match &index.order {
            Some(order) => quote!(#private::core::option::Option::Some(#order)),
            None => quote!(#private::core::option::Option::None),
        };
        quote!(#krate::Index { equal: &[#(#equal),*], order: #order })
    });
    (quote!(&[#(#values),*]), checks)
}
