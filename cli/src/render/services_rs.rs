//! `src/services.rs`: the application's services, written once for the user to fill.

use askama::Template;

#[derive(Template)]
#[template(path = "src/services.rs")]
pub(super) struct ServicesRs;
