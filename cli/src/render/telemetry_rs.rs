//! `src/telemetry.rs`: logs and traces, with the setting that picks the log format.

use askama::Template;

use super::layout;
use super::names::shouty;
use crate::model::ir::Model;

#[derive(Template)]
#[template(path = "src/telemetry.rs")]
pub(super) struct TelemetryRs<'a> {
    model: &'a Model,
    log_format_attribute: String,
}

impl<'a> TelemetryRs<'a> {
    pub(super) fn new(model: &'a Model) -> Self {
        let env = shouty(&model.service);
        Self {
            model,
            log_format_attribute: layout::attribute(
                "arg",
                &[
                    "long".to_owned(),
                    "global = true".to_owned(),
                    format!("env = \"{env}_LOG_FORMAT\""),
                    "value_enum".to_owned(),
                    "default_value_t = LogFormat::Text".to_owned(),
                ],
                4,
            ),
        }
    }
}
