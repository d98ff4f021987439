//! # Eventwright
//!
//! CQRS and event sourcing for Rust. Commands are validated and handled against an aggregate's
//! state and recorded as events; projections keep query-shaped read models up to date from those
//! events, in a different store, eventually consistent.
//!
//! The pieces, one module each:
//! - [`Aggregate`], [`Apply`]: the write-side state and how events change it;
//! - [`Command`], [`Handle`]: requests and the domain logic that decides them;
//! - [`Decision`]: a request decided on several aggregates and [`Fact`]s (states folded from
//!   the events carrying some tags), appended atomically;
//!   [`unique`]: values at most one aggregate holds (an ISBN, an email);
//! - [`Event`], [`EventEnvelope`]: recorded facts and the envelope they are stored in;
//!   [`tag`]: what an event is about beyond its aggregate, and queries over tags;
//! - [`Projection`], [`Project`]: read models and how events change their rows, copying fields
//!   from other projections' rows where they need them ([`projection::Join`]);
//! - [`Dispatcher`]: load, decide, commit with optimistic concurrency, notify; aggregates are
//!   event-sourced or state-stored ([`Persistence`]);
//! - [`store`]: the event store and read store traits and their adapters;
//! - [`bus`]: how committed events reach projections;
//! - [`relay`]: the outbox relay, delivering the log to a broker at least once, in order;
//! - [`ProjectionEngine`]: checkpointed, idempotent projection updates from any [`engine::Feed`],
//!   and [`engine::rebuild`], a projection rebuilt from the event store while the service runs;
//! - [`ReadModels`]: typed queries over the read store, and live ones ([`ReadModels::watch`]):
//!   a query's rows, then each change to them, resumable from a token;
//! - [`consistency`]: read-your-writes, a command's token and a read that waits for it;
//! - [`trace_context`]: a request's trace carried on its events to the projections.
//!
//! The derives (`#[derive(Aggregate, Command, Decision, Event, Fact, Projection, Policy,
//! ProcessManager)]`) come with the default `derive` feature; the SQLite adapter with `sqlite`; the axum glue with `http`.
//!
//! # The derives
//!
//! Each derive is documented with its trait: [`Event`] (stable names, versions, upcasting),
//! [`Aggregate`] (id, event type, snapshot policy, unique fields), [`Command`] and [`Commands`]
//! (the aggregate and id, garde validation, enums of commands), [`Decision`] (the aggregates and
//! facts it reads), [`Fact`] (the tags and aggregates it is folded from), [`Projection`]
//! (consumed events, row key, exhaustiveness), [`Policy`] and [`ProcessManager`] (the
//! workflow's name and events, a process's state, timers and compensations). What holds for
//! all of them:
//!
//! - Every mistake in the attributes is reported in one compile, each on its own tokens, with a
//!   suggestion for a misspelled key; the trait impls are still emitted as stubs so the rest of
//!   the crate does not fail with them.
//! - A missing [`Apply`], [`Project`], [`Handle`], [`React`](workflow::React) or
//!   [`Handles`](workflow::Handles) impl is reported naming the kind or command, the aggregate,
//!   projection or workflow, and the impl to add.
//! - Generated code uses absolute paths only, so it compiles next to your own `Result`, `Option`,
//!   `String`, ... and under `#![no_implicit_prelude]`. A dependency renamed in `Cargo.toml`
//!   (`ew = { package = "eventwright", .. }`) is found under its new name; when the crate is
//!   reached through another crate's re-export, say where with
//!   `#[eventwright(crate = "path::to::eventwright")]` (a crate that does not depend on it is
//!   told so by the derive).
//! - Generic types are refused: a stored name stands for one concrete type.

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod aggregate;
mod backoff;
pub mod bus;
pub mod clock;
pub mod command;
pub mod consistency;
mod context;
pub mod decision;
pub mod dispatch;
pub mod engine;
pub mod event;
#[cfg(feature = "http")]
pub mod http;
mod opaque;
#[cfg(feature = "personal")]
pub mod personal;
pub mod projection;
pub mod query;
mod rejection;
pub mod relay;
pub mod store;
pub mod table;
pub mod tag;
pub mod tenant;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trace_context;
pub mod unique;
pub mod validate;
pub mod workflow;

#[doc(hidden)]
pub mod __private;

pub use aggregate::{Aggregate, Apply, Persistence};
pub use command::{Command, FieldError, Handle, HandleWith, Handled, ValidationErrors};
pub use context::{Context, MissingServices};
pub use decision::{Decision, Fact};
pub use dispatch::{AggregateCommands, Commands, Committed, Decided, DispatchError, Dispatcher};
pub use engine::ProjectionEngine;
pub use engine::ProjectionError;
pub use event::{DecodeError, Event, EventEnvelope, Metadata, NewEvent};
pub use projection::{Change, Project, Projection};
pub use query::{Page, PageRequest, QueryError, ReadModels};
pub use rejection::{DomainRejection, Rejection, RejectionKind};
pub use table::{Column, ColumnDef, ColumnType, Index, Summary, TableSchema};

#[cfg(feature = "derive")]
pub use eventwright_macros::{
    Aggregate, Command, Decision, DomainRejection, Event, Fact, Projection,
};
// The workflow traits with their derives (`workflow` re-exports both under each name).
pub use workflow::{Policy, ProcessManager};
