//! `src/types.rs`: the model's enums and value objects.

use askama::Template;

use super::fields::FieldView;
use super::imports::Imports;
use crate::model::ir::Model;

#[derive(Template)]
#[template(path = "src/types.rs")]
pub(super) struct TypesRs<'a> {
    model: &'a Model,
    uses: Vec<String>,
    values: Vec<(String, Vec<FieldView>)>,
}

impl<'a> TypesRs<'a> {
    pub(super) fn new(model: &'a Model) -> Self {
        let mut imports = Imports::default();
        for value in &model.values {
            for field in &value.fields {
                imports.add(&field.ty);
            }
        }
        let values = model
            .values
            .iter()
            .map(|value| {
                (
                    value.name.clone(),
                    value.fields.iter().map(FieldView::validated).collect(),
                )
            })
            .collect();
        Self {
            model,
            uses: imports.external_lines(),
            values,
        }
    }
}
