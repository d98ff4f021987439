//! Parsing of `#[name(key = value, flag, list(A, B))]` helper attributes, shared by every derive.
//!
//! Each derive lists the keys it knows and handles them one by one; everything else about the
//! syntax (unknown keys with a suggestion, duplicate keys, skipping past a bad value so the keys
//! after it are still checked) lives here.

use proc_macro2::TokenTree;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitInt, LitStr, Path, Token, Type};

use crate::ctxt::Ctxt;

/// One helper attribute as a derive sees it: its name and the keys it accepts at this place.
pub(crate) struct Spec<'a> {
    /// The attribute's name, e.g. `command`.
    pub name: &'a str,
    /// Where it was written, for messages: "on the struct", "on a field", ...
    pub place: &'a str,
    pub keys: &'a [&'a str],
}

/// Calls `handle` with each key of every `#[spec.name(...)]` in `attrs`.
///
/// Errors from `handle` are recorded and parsing goes on with the next key, so every mistake in
/// the attribute is reported in one compile.
pub(crate) fn parse_each(
    cx: &Ctxt,
    attrs: &[Attribute],
    spec: &Spec,
    mut handle: impl FnMut(&str, &ParseNestedMeta) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(spec.name)) {
        let parsed = attr.parse_nested_meta(|meta| one_key(cx, spec, &meta, &mut handle));
        if let Err(error) = parsed {
            cx.syn_error(error);
        }
    }
}

/// [`parse_each`] for a nested list, `key(inner = value, ...)`, whose keys `spec` lists.
pub(crate) fn parse_nested(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    spec: &Spec,
    mut handle: impl FnMut(&str, &ParseNestedMeta) -> syn::Result<()>,
) -> syn::Result<()> {
    if !meta.input.peek(syn::token::Paren) {
        let example = spec
            .keys
            .iter()
            .map(|key| format!("{key} = .."))
            .collect::<Vec<_>>();
        return Err(meta.error(format!(
            "expected a list in parentheses: `{}({})`",
            spec.name,
            example.join(", ")
        )));
    }
    meta.parse_nested_meta(|inner| one_key(cx, spec, &inner, &mut handle))
}

fn one_key(
    cx: &Ctxt,
    spec: &Spec,
    meta: &ParseNestedMeta,
    handle: &mut impl FnMut(&str, &ParseNestedMeta) -> syn::Result<()>,
) -> syn::Result<()> {
    let key = key_name(meta);
    let outcome = if spec.keys.contains(&key.as_str()) {
        handle(&key, meta)
    } else {
        Err(syn::Error::new_spanned(
            &meta.path,
            unknown_key(spec, &meta.path),
        ))
    };
    if let Err(error) = outcome {
        cx.syn_error(error);
        skip_value(meta)?;
    }
    Ok(())
}

/// Reports every `#[name]` in `attrs`: the attribute has nothing to say at this place.
pub(crate) fn reject(cx: &Ctxt, attrs: &[Attribute], name: &str, why: &str) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(name)) {
        cx.error_spanned_by(attr, format!("#[{name}] is not allowed here: {why}"));
    }
}

/// Stores the value of a key that may appear once.
pub(crate) fn set_once<T>(cx: &Ctxt, slot: &mut Option<T>, meta: &ParseNestedMeta, value: T) {
    if slot.is_some() {
        cx.error_spanned_by(&meta.path, format!("duplicate `{}`", key_name(meta)));
    } else {
        *slot = Some(value);
    }
}

/// `key = "text"`
pub(crate) fn string(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    let lit: LitStr = meta
        .value()?
        .parse()
        .map_err(|error| expected(meta, error, "a string", "\"...\""))?;
    if lit.value().is_empty() {
        return Err(syn::Error::new_spanned(lit, "must not be empty"));
    }
    Ok(lit)
}

/// `key = 3`, as a `u32` or `u64`.
pub(crate) fn int<N>(meta: &ParseNestedMeta) -> syn::Result<(N, LitInt)>
where
    N: std::str::FromStr + Bounded,
    N::Err: std::fmt::Display,
{
    let what = format!("a whole number from 0 to {}", N::MAX);
    let lit: LitInt = meta
        .value()?
        .parse()
        .map_err(|error| expected(meta, error, &what, "3"))?;
    let value = lit
        .base10_parse()
        .map_err(|_| syn::Error::new_spanned(&lit, format!("expected {what}")))?;
    Ok((value, lit))
}

/// The integer types [`int`] parses, with their largest value for messages.
pub(crate) trait Bounded {
    const MAX: u64;
}

impl Bounded for u32 {
    const MAX: u64 = u32::MAX as u64;
}

impl Bounded for u64 {
    const MAX: u64 = u64::MAX;
}

/// `key = some::path` (a function, usually)
pub(crate) fn path(meta: &ParseNestedMeta) -> syn::Result<Path> {
    meta.value()?
        .parse()
        .map_err(|error| expected(meta, error, "a path", "my_function"))
}

/// `key = some::Type`
pub(crate) fn ty(meta: &ParseNestedMeta) -> syn::Result<Type> {
    meta.value()?
        .parse()
        .map_err(|error| expected(meta, error, "a type", "MyType"))
}

/// `key = name`
pub(crate) fn ident(meta: &ParseNestedMeta) -> syn::Result<Ident> {
    meta.value()?
        .parse()
        .map_err(|error| expected(meta, error, "a field name", "order_id"))
}

/// `key = "some::path"`
pub(crate) fn path_str(meta: &ParseNestedMeta) -> syn::Result<Path> {
    let example = "\"::eventwright\"";
    let lit: LitStr = meta
        .value()?
        .parse()
        .map_err(|error| expected(meta, error, "a path in a string", example))?;
    lit.parse()
        .map_err(|_| syn::Error::new_spanned(&lit, format!("expected a path, e.g. {example}")))
}

/// `key(TypeA, TypeB)`
pub(crate) fn types(meta: &ParseNestedMeta) -> syn::Result<Vec<Type>> {
    let content;
    let key = key_name(meta);
    let parens = || {
        meta.error(format!(
            "expected a list of types in parentheses: `{key}(TypeA, TypeB)`"
        ))
    };
    if !meta.input.peek(syn::token::Paren) {
        return Err(parens());
    }
    syn::parenthesized!(content in meta.input);
    let list = Punctuated::<Type, Token![,]>::parse_terminated(&content)?;
    Ok(list.into_iter().collect())
}

/// `key(name_a, name_b)`
pub(crate) fn idents(meta: &ParseNestedMeta) -> syn::Result<Vec<Ident>> {
    let content;
    let key = key_name(meta);
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!(
            "expected a list of field names in parentheses: `{key}(member, book)`"
        )));
    }
    syn::parenthesized!(content in meta.input);
    let list = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
    Ok(list.into_iter().collect())
}

/// Rewords a value's parse error as what the key takes, keeping its span.
fn expected(meta: &ParseNestedMeta, error: syn::Error, what: &str, example: &str) -> syn::Error {
    let key = key_name(meta);
    syn::Error::new(
        error.span(),
        format!("`{key}` takes {what}, e.g. `{key} = {example}`"),
    )
}

fn key_name(meta: &ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map(Ident::to_string)
        .unwrap_or_default()
}

/// A bare `key`, which takes no value.
pub(crate) fn flag(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.is_empty() || meta.input.peek(Token![,]) {
        Ok(())
    } else {
        let key = key_name(meta);
        Err(meta.error(format!("`{key}` takes no value: write just `{key}`")))
    }
}

/// Moves past whatever is left of a key after an error, up to the next `,`.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    while !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        meta.input.parse::<TokenTree>()?;
    }
    Ok(())
}

fn unknown_key(spec: &Spec, path: &Path) -> String {
    let key = path
        .get_ident()
        .map(Ident::to_string)
        .unwrap_or_else(|| quote::quote!(#path).to_string());
    let head = format!(
        "unknown key `{key}` in #[{}(...)] {}",
        spec.name, spec.place
    );
    match did_you_mean(&key, spec.keys.iter().copied()) {
        Some(close) => format!("{head}; did you mean `{close}`?"),
        None => format!("{head}; expected one of: {}", backticked(spec.keys)),
    }
}

fn backticked(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidate closest to `word`, when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        // Optimal string alignment: a swap of two adjacent characters is one edit, so `tabel` is
        // one edit from `table`.
        .map(|candidate| (strsim::osa_distance(word, candidate), candidate))
        .filter(|&(distance, candidate)| {
            distance <= (candidate.chars().count() / 3).max(1)
                || word.starts_with(candidate)
                || candidate.starts_with(word)
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}
