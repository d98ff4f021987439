//! Given/when/then tests: past events, a command, the expected outcome; and the same for
//! decisions over several aggregates and for projections. Behind the `testing` feature, which
//! nothing in production needs: enable it in `[dev-dependencies]`.
//!
//! ```text
//! given::<Account>([Opened { .. }.into()])
//!     .with_services(Limits { .. })            // what HandleWith handlers are given
//!     .at("2026-03-01T09:00:00Z".parse()?)     // a frozen clock
//!     .when(Withdraw { .. })
//!     .then_expect_events([Withdrawn { .. }]); // returns the state they lead to
//! ```
//!
//! The command runs exactly as in [`Dispatcher::dispatch`](crate::Dispatcher::dispatch):
//! field validation, the existence rules of [`Command::CREATES`](crate::Command::CREATES), then the aggregate's
//! [`Handle`](crate::Handle) or [`HandleWith`](crate::HandleWith) handler, without a store.
//! A failed expectation prints the expected and actual events side by side, line by line.
//!
//! - A [`Decision`](crate::Decision) over several aggregates starts from [`given_aggregates`]:
//!   the past events of each aggregate, then the decision, then the events expected on each.
//! - A [`Projection`](crate::Projection) starts from [`given_projection`]: events in, then the
//!   rows expected.
//! - A [`Policy`](crate::workflow::Policy) or [`ProcessManager`](crate::workflow::ProcessManager)
//!   starts from [`given_policy`] or [`given_process`]: events in, and time passing, then the
//!   commands sent and the timers set.

mod command;
mod decision;
mod projection;
mod refusal;
mod workflow;

pub use command::{Given, Then, given};
pub use decision::{GivenAggregates, ThenDecided, given_aggregates};
pub use projection::{GivenProjection, given_projection};
pub use workflow::{GivenPolicy, GivenProcess, Then as ThenWorkflow, given_policy, given_process};
