//! Events: the facts an aggregate records, and the envelope they travel in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::tag::{Tag, Tags};

/// A type that holds one or more kinds of event, each with a stable name and a version.
///
/// The stored `event_type` is the stable name, never the Rust type name, so renaming a type does
/// not orphan stored events.
///
/// # `#[derive(Event)]`
///
/// On an enum of newtype variants, one kind per variant (each variant also gets a `From` impl), or
/// on a struct with named fields, a single kind. Keys of `#[event(...)]`, on each variant or on
/// the struct:
///
/// | key | value | default |
/// |---|---|---|
/// | `name` | the stable stored name, `"OrderPlaced"` | the variant's (struct's) name |
/// | `version` | the current schema version, 1 or more | 1 |
/// | `upcast(from = N, with = path)` | a step from version `N` to `N + 1`, repeatable | none |
/// | `tags(field, ...)` | payload fields whose values tag the event, `field=value` ([`tag`](crate::tag)) | none |
///
/// An upcaster works on the serialized form: `fn(serde_json::Value) -> Result<serde_json::Value,
/// String>`. [`decode`](Event::decode) runs the chain from the stored version up to the current
/// one, so events stored at v1 load as v3. The chain is checked at compile time: a gap, a
/// duplicate step, or a step from the current version or later is an error. At run time a
/// version newer than the code, or older than its oldest upcaster, is a [`DecodeError`].
///
/// `#[eventwright(crate = "path")]` names the runtime crate when another crate re-exports it (a
/// dependency renamed in `Cargo.toml` is found without it).
///
/// ```
/// use eventwright::Event;
/// use serde::{Deserialize, Serialize};
/// use serde_json::{Value, json};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize)]
/// pub struct ItemAdded { pub sku: String, pub quantity: u32 }
///
/// /// v1 called the SKU `item`.
/// fn item_added_v1_to_v2(mut payload: Value) -> Result<Value, String> {
///     let item = payload.as_object_mut().and_then(|f| f.remove("item")).ok_or("no `item`")?;
///     payload["sku"] = item;
///     Ok(payload)
/// }
///
/// /// v2 had no quantity: one item per event.
/// fn item_added_v2_to_v3(mut payload: Value) -> Result<Value, String> {
///     payload["quantity"] = json!(1);
///     Ok(payload)
/// }
///
/// #[derive(Debug, PartialEq, Event)]
/// pub enum CartEvent {
///     #[event(
///         name = "ItemAdded",
///         version = 3,
///         upcast(from = 1, with = item_added_v1_to_v2),
///         upcast(from = 2, with = item_added_v2_to_v3),
///     )]
///     ItemAdded(ItemAdded),
/// }
///
/// let stored_at_v1 = json!({ "item": "apple" });
/// let event = CartEvent::decode("ItemAdded", 1, stored_at_v1).unwrap();
/// let expected = ItemAdded { sku: "apple".into(), quantity: 1 };
/// assert_eq!(event, Some(CartEvent::ItemAdded(expected)));
///
/// let newer = CartEvent::decode("ItemAdded", 4, json!({})).unwrap_err();
/// assert_eq!(newer.reason, "stored by newer code: v3 is the latest version this code knows");
/// assert_eq!(CartEvent::decode("SomethingElse", 1, json!({})).unwrap(), None);
/// ```
pub trait Event: Sized + Send + Sync + 'static {
    /// The stable names of every kind of event this type holds.
    const NAMES: &'static [&'static str];

    /// The stable name of this event.
    fn event_type(&self) -> &'static str;

    /// The schema version this event is written at.
    fn event_version(&self) -> u32;

    /// The event's payload as stored: its fields, without name or version.
    fn encode(&self) -> Result<Value, serde_json::Error>;

    /// Rebuilds an event from its stored form. `Ok(None)` means the name is not one of ours.
    fn decode(
        event_type: &str,
        event_version: u32,
        payload: Value,
    ) -> Result<Option<Self>, DecodeError>;

    /// What the event is about beyond its aggregate (`member=m-7` on a book's loan): the tags
    /// an [`EventQuery`](crate::tag::EventQuery) finds it by. None by default.
    fn tags(&self, tags: &mut Tags) {
        let _ = tags;
    }
}

/// An event's tags, as [`Event::tags`] names them; no allocation for an event without any.
pub fn tags_of<E: Event>(event: &E) -> Vec<Tag> {
    let mut tags = Tags::default();
    event.tags(&mut tags);
    tags.into_vec()
}

/// A stored event could not be turned back into its Rust type.
#[derive(Debug, thiserror::Error)]
#[error("cannot decode event `{event_type}` v{event_version}: {reason}")]
pub struct DecodeError {
    pub event_type: String,
    pub event_version: u32,
    pub reason: String,
}

impl DecodeError {
    pub fn new(event_type: &str, event_version: u32, reason: impl std::fmt::Display) -> Self {
        Self {
            event_type: event_type.to_owned(),
            event_version,
            reason: reason.to_string(),
        }
    }
}

/// Correlation and causation ids, the trace and the actor, carried from a request to the events it
/// causes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// Ties together everything one user action caused, across services.
    pub correlation_id: Option<String>,
    /// The id of the message (command or event) that directly caused this one.
    pub causation_id: Option<String>,
    /// The W3C `traceparent` of the span that recorded the event, where the service exports
    /// traces: projections continue that trace ([`trace_context`](crate::trace_context)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// Who sent the command, when the service knows (a user, a service account); handlers
    /// read it from their [`Context`](crate::Context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// An event about to be appended: everything but its global position, which the store assigns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// 1 for the first event of an aggregate, then consecutive.
    pub sequence: u64,
    pub event_type: String,
    pub event_version: u32,
    pub timestamp: DateTime<Utc>,
    pub metadata: Metadata,
    pub payload: Value,
    /// What the event is about beyond its aggregate ([`Event::tags`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// A stored event with everything a consumer needs to place it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub event_id: Uuid,
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// Position within the aggregate: 1, 2, 3, ...
    pub sequence: u64,
    /// Position in the store's global order; increases with commit order, may have gaps.
    pub position: u64,
    pub event_type: String,
    pub event_version: u32,
    pub timestamp: DateTime<Utc>,
    pub metadata: Metadata,
    pub payload: Value,
}

impl EventEnvelope {
    /// Completes a [`NewEvent`] with the global position the store gave it.
    pub fn from_new(event: NewEvent, position: u64) -> Self {
        Self {
            event_id: event.event_id,
            aggregate_type: event.aggregate_type,
            aggregate_id: event.aggregate_id,
            sequence: event.sequence,
            position,
            event_type: event.event_type,
            event_version: event.event_version,
            timestamp: event.timestamp,
            metadata: event.metadata,
            payload: event.payload,
        }
    }

    /// Decodes the payload as `E`; `Ok(None)` when the event is not one of `E`'s kinds.
    pub fn decode<E: Event>(&self) -> Result<Option<E>, DecodeError> {
        E::decode(&self.event_type, self.event_version, self.payload.clone())
    }
}
