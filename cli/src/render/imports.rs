//! The `use` lines a generated file needs: exactly those, so there is never an unused import.

use std::collections::BTreeSet;

use crate::model::ir::Type;

/// Collects the external types and model types a file mentions.
#[derive(Debug, Default)]
pub struct Imports {
    /// `(crate, item)`, in the order rustfmt sorts their `use` lines.
    externals: BTreeSet<(&'static str, &'static str)>,
    model_types: BTreeSet<String>,
}

impl Imports {
    /// Notes `ty` as written in a declaration.
    pub fn add(&mut self, ty: &Type) {
        match ty {
            Type::Decimal => {
                self.externals.insert(("rust_decimal", "Decimal"));
            }
            Type::Uuid => {
                self.externals.insert(("uuid", "Uuid"));
            }
            Type::Timestamp => {
                self.externals.insert(("chrono", "DateTime"));
                self.externals.insert(("chrono", "Utc"));
            }
            Type::Date => {
                self.externals.insert(("chrono", "NaiveDate"));
            }
            Type::Enum(def) => {
                self.model_types.insert(def.name.clone());
            }
            Type::Value(def) => {
                self.model_types.insert(def.name.clone());
            }
            Type::List(inner) | Type::Optional(inner) => self.add(inner),
            Type::String | Type::Bool | Type::Int | Type::Float => {}
        }
    }

    /// Notes `ty` as it appears in an example value: value objects are spelled out field by field,
    /// and timestamps are built without naming `Utc`.
    pub fn add_example(&mut self, ty: &Type) {
        match ty {
            Type::Timestamp => {
                self.externals.insert(("chrono", "DateTime"));
            }
            Type::Value(def) => {
                self.model_types.insert(def.name.clone());
                for field in &def.fields {
                    self.add_example(&field.ty);
                }
            }
            Type::List(inner) | Type::Optional(inner) => self.add_example(inner),
            other => self.add(other),
        }
    }

    /// The model's own types in `ty` (enums, value objects): what a value written with full
    /// paths for everything else still names.
    pub fn add_model_types(&mut self, ty: &Type) {
        match ty {
            Type::Enum(def) => {
                self.model_types.insert(def.name.clone());
            }
            Type::Value(def) => {
                self.model_types.insert(def.name.clone());
                for field in &def.fields {
                    self.add_model_types(&field.ty);
                }
            }
            Type::List(inner) | Type::Optional(inner) => self.add_model_types(inner),
            _ => {}
        }
    }

    /// `use` lines for external crates, grouped per crate as rustfmt writes them.
    pub fn external_lines(&self) -> Vec<String> {
        let mut by_crate: Vec<(&str, Vec<&str>)> = Vec::new();
        for &(krate, item) in &self.externals {
            match by_crate.last_mut() {
                Some((last, items)) if *last == krate => items.push(item),
                _ => by_crate.push((krate, vec![item])),
            }
        }
        by_crate
            .into_iter()
            .map(|(krate, items)| match items.as_slice() {
                [one] => format!("use {krate}::{one};"),
                many => format!("use {krate}::{{{}}};", many.join(", ")),
            })
            .collect()
    }

    /// Model types, for a `use crate::types::{...};` or `use <crate>::types::{...};` line.
    pub fn model_types(&self) -> Vec<String> {
        self.model_types.iter().cloned().collect()
    }
}

/// `use {prefix}::{A, B};`, or nothing for an empty list.
pub fn use_line(prefix: &str, names: &[String]) -> Option<String> {
    super::layout::use_list(prefix, names)
}
