//! askama filters: only what templates cannot say well themselves.

/// The text as a Rust string literal.
#[askama::filter_fn]
pub fn rust_str(text: impl std::fmt::Display, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(format!("{:?}", text.to_string()))
}
