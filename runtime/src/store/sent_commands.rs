//! Commands sent with an id, and how each ended: what makes sending one again harmless.
//!
//! A workflow sends a command with an id it derives from what caused it (an event, a timer),
//! so after a crash it sends the same command with the same id. The store records the id in
//! the transaction that appends the command's events, or records why the command was refused;
//! the [`Dispatcher`](crate::Dispatcher) looks the id up before deciding, and answers a
//! command sent again the way it answered the first time, appending nothing.

use serde_json::Value;
use uuid::Uuid;

/// A command sent with an id, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct SentCommand {
    pub command_id: Uuid,
    /// The aggregate the command was sent to.
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// Why the domain refused it, as the dispatcher recorded it; `None` when it committed.
    pub refusal: Option<Value>,
    /// Committed: the aggregate's version after the command (the sequence of its last event).
    /// `None` for a refusal, and for a record made before versions were kept.
    pub version: Option<u64>,
    /// Committed: the log position of the command's last event, which the store assigns when
    /// it appends the events (so `None` when recording).
    pub position: Option<u64>,
    /// A fingerprint of the request the command came in (an HTTP `Idempotency-Key`'s request),
    /// so the same id on another request can be told apart; `None` for a workflow's command.
    pub request: Option<String>,
}
