//! The indexes a projection's lists read: `#[projection(index)]` on a field (rows holding a
//! value of it, in key order), and `#[projection(index(a, b, order = c))]` on the struct (rows
//! holding values of `a` and `b`, in the order of `c`, then the key).

use eventwright_tables::Term;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::{Ident, LitStr, Token};

use super::{Column, type_check};
use crate::attr;
use crate::ctxt::Ctxt;

/// One `index(...)`, as written.
pub(crate) struct IndexAttr {
    /// The `index` key, for errors about the whole index.
    pub at: syn::Path,
    pub equal: Vec<Written>,
    pub order: Option<Ident>,
}

/// A term as written: a field (`customer`), or a string reaching inside one (`"address.city"`,
/// `"authors[]"`), with its tokens for errors.
pub(crate) struct Written {
    text: String,
    tokens: TokenStream,
}

/// `index(field, "field.inner", "list[]", order = field)`.
pub(crate) fn parse(meta: &ParseNestedMeta) -> syn::Result<IndexAttr> {
    let usage = "`index(customer, status)`, `index(customer, order = placed_at)` or \
                 `index(\"address.city\")`";
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!("expected the fields in parentheses: {usage}")));
    }
    let content;
    syn::parenthesized!(content in meta.input);
    if content.is_empty() {
        return Err(meta.error(format!("an index needs fields: {usage}")));
    }
    let mut index = IndexAttr {
        at: meta.path.clone(),
        equal: Vec::new(),
        order: None,
    };
    while !content.is_empty() {
        if content.peek(LitStr) {
            let lit: LitStr = content.parse()?;
            index.equal.push(Written {
                text: lit.value(),
                tokens: lit.to_token_stream(),
            });
        } else {
            let ident = content.call(Ident::parse_any)?;
            if ident == "order" && content.peek(Token![=]) {
                content.parse::<Token![=]>()?;
                let field = content.call(Ident::parse_any)?;
                if index.order.replace(field).is_some() {
                    return Err(syn::Error::new_spanned(
                        ident,
                        "duplicate `order`: an index has one order",
                    ));
                }
            } else {
                index.equal.push(Written {
                    text: ident.unraw().to_string(),
                    tokens: ident.to_token_stream(),
                });
            }
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(index)
}

/// Whether `text` is a term: a field name, then `.field`s, or `[]` (each element) optionally
/// followed by `.field`s of each element.
fn well_formed(text: &str) -> bool {
    let names = |path: &str| {
        path.split('.').all(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .is_some_and(|first| first == '_' || first.is_ascii_alphabetic())
                && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        })
    };
    match text.split_once("[]") {
        None => names(text),
        Some((list, "")) => names(list) && !list.contains('.'),
        Some((list, rest)) => {
            !list.contains('.') && names(list) && rest.strip_prefix('.').is_some_and(names)
        }
    }
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
        let mut equal: Vec<String> = Vec::new();
        let mut clean = true;
        for term in &index.equal {
            if !well_formed(&term.text) {
                cx.error_spanned_by(
                    &term.tokens,
                    "expected a field, a field of a value object (`\"address.city\"`), each \
                     element of a list (`\"authors[]\"`) or a field of each (`\"lines[].sku\"`)",
                );
                clean = false;
                continue;
            }
            if !known(cx, columns, Term::parse(&term.text).column(), &term.tokens) {
                clean = false;
                continue;
            }
            if equal.contains(&term.text) {
                cx.error_spanned_by(
                    &term.tokens,
                    format!("`{}` is already in this index", term.text),
                );
            }
            equal.push(term.text.clone());
        }
        let order = index.order.as_ref().and_then(|field| {
            let name = field.unraw().to_string();
            if !known(cx, columns, &name, field) {
                return None;
            }
            if name == key {
                cx.error_spanned_by(
                    field,
                    "every list is in key order already: `order` takes another field",
                );
            } else if equal.iter().any(|term| Term::parse(term).column() == name) {
                cx.error_spanned_by(
                    field,
                    format!(
                        "`{name}` is compared for equality here: ordering by it orders nothing"
                    ),
                );
            }
            Some(name)
        });
        // An index with a term in error is reported already; it is not compared with others.
        if !clean {
            continue;
        }
        let checked = Checked { equal, order };
        if indexes.contains(&checked) {
            cx.error_spanned_by(&index.at, "this index is declared already");
        }
        indexes.push(checked);
    }
    indexes
}

/// Whether `name` is a field of the struct; reports it at `tokens`, with the closest field, when
/// it is not.
pub(crate) fn known(cx: &Ctxt, columns: &[Column<'_>], name: &str, tokens: impl ToTokens) -> bool {
    if columns.iter().any(|column| column.name == name) {
        return true;
    }
    let names = columns.iter().map(|column| column.name.as_str());
    let message = match attr::did_you_mean(name, names) {
        Some(close) => format!("no field `{name}`; did you mean `{close}`?"),
        None => format!("no field `{name}`"),
    };
    cx.error_spanned_by(tokens, message);
    false
}

/// An index whose fields are known.
#[derive(PartialEq)]
pub(crate) struct Checked {
    equal: Vec<String>,
    order: Option<String>,
}

impl Checked {
    /// The index by one field, in key order.
    pub(crate) fn by(field: &str) -> Self {
        Checked {
            equal: vec![field.to_owned()],
            order: None,
        }
    }
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
    let mut checks = TokenStream::new();
    let values = indexes.iter().map(|index| {
        for text in &index.equal {
            let term = Term::parse(text);
            let assert = match term {
                Term::Column(_) => "assert_comparable",
                Term::Field { .. } | Term::Element(_) | Term::ElementField { .. } => {
                    "assert_inside"
                }
            };
            checks.extend(type_check(krate, columns, term.column(), assert));
        }
        if let Some(order) = &index.order {
            checks.extend(type_check(krate, columns, order, "assert_orderable"));
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
