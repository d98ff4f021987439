//! axum glue for generated and hand-written services: JSON bodies that name the bad field, and
//! one error shape for every failure.
//!
//! Every error response is an RFC 9457 problem, `application/problem+json`:
//! `{"type": "about:blank", "title", "status", "detail", "code", "field"?, "errors"?: [...]}`,
//! where `code` is the stable reason clients match on (a domain rejection's own code).
//! Client mistakes are 4xx and name what was wrong; only server faults are 500, and those are
//! logged, not shown.
//!
//! - [`ApiError`]: the error shape, and how every runtime error maps onto it;
//! - requests: ids, bodies, parameters and headers parsed, each naming what did not fit;
//! - routes: the whole of a command, get or list route, one call each;
//! - operations: health, readiness, and the limits every request is held to;
//! - watch: a live query, as Server-Sent Events;
//! - [`Caller`]: who sent a request, as its bearer token says;
//! - [`auth`] (feature `auth`): bearer tokens checked, and the roles each route asks for;
//! - [`Tenants`] (feature `auth`): each request sent to its tenant's app, as its token says.

#[cfg(feature = "auth")]
pub mod auth;
mod caller;
mod error;
mod operations;
mod request;
mod routes;
#[cfg(feature = "auth")]
mod tenants;
mod watch;

pub use caller::{Caller, Principal};
pub use error::{ApiError, ErrorBody, PROBLEM_JSON};
pub use operations::{Limits, health, limits, readiness};
pub use request::{
    CAUSATION_HEADER, CONSISTENCY_HEADER, CORRELATION_HEADER, IDEMPOTENCY_HEADER,
    MAX_IDEMPOTENCY_KEY, ParseValue, command_from_json, from_value, metadata_from_headers,
    page_from_query, param_value, parse_param, request_key, wait_for_token,
};
pub use routes::{
    Accepted, ListShape, find_rows, get_group, get_row, list_all_rows, list_groups, list_rows,
    run_command, run_decision,
};
#[cfg(feature = "auth")]
pub use tenants::{TenancyError, Tenants};
pub use watch::{
    LAST_EVENT_ID, until_expiry, watch_all, watch_found, watch_list, watch_row, watch_rows,
};
