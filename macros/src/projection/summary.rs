//! `#[projection(count_by(status, sum(total, items)))]`: the rows counted, and some number
//! fields summed, per value of a field.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Ident, Token};

use super::index::{Checked, known};
use super::{Column, type_check};
use crate::ctxt::Ctxt;

/// One `count_by(...)`, as written.
pub(crate) struct SummaryAttr {
    by: Ident,
    sums: Vec<Ident>,
}

/// `count_by(field)` or `count_by(field, sum(field, field))`.
pub(crate) fn parse(meta: &ParseNestedMeta) -> syn::Result<SummaryAttr> {
    let usage = "`count_by(status)` or `count_by(status, sum(total))`";
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!("expected the field in parentheses: {usage}")));
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let by = content
        .call(Ident::parse_any)
        .map_err(|error| syn::Error::new(error.span(), format!("expected {usage}")))?;
    let mut sums = Vec::new();
    if content.parse::<Option<Token![,]>>()?.is_some() && !content.is_empty() {
        let key = content.call(Ident::parse_any)?;
        if key != "sum" {
            return Err(syn::Error::new_spanned(
                key,
                format!("expected `sum(...)`: {usage}"),
            ));
        }
        let inner;
        syn::parenthesized!(inner in content);
        sums = Punctuated::<Ident, Token![,]>::parse_terminated_with(&inner, Ident::parse_any)?
            .into_iter()
            .collect();
        content.parse::<Option<Token![,]>>()?;
    }
    if !content.is_empty() {
        return Err(content.error(format!("expected {usage}")));
    }
    Ok(SummaryAttr { by, sums })
}

/// A summary whose fields are known.
pub(crate) struct Summary {
    by: String,
    sums: Vec<String>,
}

/// Every summary, its fields checked; each adds the index by its field to `indexes` (Cassandra
/// adds its groups up from it).
pub(crate) fn check(
    cx: &Ctxt,
    written: &[SummaryAttr],
    columns: &[Column<'_>],
    indexes: &mut Vec<Checked>,
) -> Vec<Summary> {
    let mut summaries: Vec<Summary> = Vec::new();
    for summary in written {
        let by = summary.by.unraw().to_string();
        let mut clean = known(cx, columns, &by, &summary.by);
        let mut sums: Vec<String> = Vec::new();
        for sum in &summary.sums {
            let name = sum.unraw().to_string();
            clean &= known(cx, columns, &name, sum);
            if sums.contains(&name) || name == by {
                cx.error_spanned_by(sum, format!("`{name}` is already in this summary"));
                clean = false;
            }
            sums.push(name);
        }
        if !clean {
            continue;
        }
        if summaries.iter().any(|seen| seen.by == by) {
            cx.error_spanned_by(
                &summary.by,
                format!("the rows are counted by `{by}` already"),
            );
            continue;
        }
        let index = Checked::by(&by);
        if !indexes.contains(&index) {
            indexes.push(index);
        }
        summaries.push(Summary { by, sums });
    }
    summaries
}

/// The `Summary` constants of the schema, and the checks of their fields' types, made when
/// the crate compiles: grouping by a list or value object, or summing what is not a number
/// every row has, fails there, on the field.
pub(crate) fn expand(
    krate: &TokenStream,
    summaries: &[Summary],
    columns: &[Column<'_>],
) -> (TokenStream, TokenStream) {
    let mut checks = TokenStream::new();
    let values = summaries.iter().map(|summary| {
        checks.extend(type_check(krate, columns, &summary.by, "assert_comparable"));
        for sum in &summary.sums {
            checks.extend(type_check(krate, columns, sum, "assert_summable"));
        }
        let (by, sums) = (&summary.by, &summary.sums);
        quote!(#krate::Summary { by: #by, sums: &[#(#sums),*] })
    });
    (quote!(&[#(#values),*]), checks)
}
