//! Projections: query-shaped read models kept up to date from events.

mod join;

pub use join::{Join, Joined};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::event::{Event, EventEnvelope};
use crate::table::TableSchema;

/// A read model: one row type, the events it consumes, and how each event changes a row.
///
/// # `#[derive(Projection)]`
///
/// On the row struct (named fields; each field a column). It routes each kind of its event type
/// to a [`Project`] impl, and is **exhaustive**: every kind is either projected or listed in
/// `ignore(..)`, so adding a variant to the event enum fails to compile, naming the variant, the
/// kind and the projection, until each projection decides. The other way round, an
/// `impl Project<E>` (or `ignore(E)`) for an `E` that is not a kind of its event type is refused
/// at `E`: the projection would never receive it. Keys of `#[projection(...)]`:
///
/// | key | value | default |
/// |---|---|---|
/// | `event` | the event type it consumes, `OrderEvent` | required, or `events` |
/// | `events(A, B)` | the event types it consumes, of several aggregates: each kind of each is projected or ignored | |
/// | `key` | the field holding the row key | required |
/// | `ignore(A, B)` | kinds that leave rows unchanged; each must be a kind of `event` (of one of `events`) | none |
/// | `name` | [`NAME`](Projection::NAME), its checkpoint's name | the struct's name in snake_case |
/// | `table` | the table name | `name` |
/// | `index(a, b, order = c)` | a lookup for lists ([`ReadModels::find`](crate::ReadModels::find)): rows holding values of `a` and `b`, by `c` then key; a term may reach into a value object (`"address.city"`), take each element of a list (`"tags[]"`) or a field of each (`"lines[].sku"`) | none |
/// | `reads(BookRow, MemberRow)` | the projections whose rows it copies from ([`Project::joins`]) | none |
/// | `count_by(a, sum(b, c))` | a [`Summary`](crate::Summary): rows counted, and `b`, `c` summed, per value of `a` ([`ReadModels::group`](crate::ReadModels::group)) | none |
///
/// and on a field, `#[projection(index)]` lets list queries filter on it (`index(field)`).
/// A field an index orders by must not be optional; one a summary sums must be a number: each
/// is checked when the crate compiles, at the field.
///
/// A projection of several event types (`events(MemberEvent, BookEvent)`: a member's row
/// counting the books lent to them) receives them as one hidden enum, converted `From` each
/// (the testing kit takes `BookEvent::from(lent)`), decoded by the type that names the stored
/// event; two of them naming an event alike fail to compile. Each kind of each is projected or
/// ignored, as for one; an `impl Project<E>` for an `E` of neither is not refused, since trait
/// bounds cannot say "a kind of one of these". Events of other aggregates usually name their
/// row by a field: override [`Project::key`]; or every row holding a value (each loan row of a
/// renamed member): override [`Project::rows`]. The events arrive in the log's order on the SQL
/// stores' own feed; through Kafka, in order per aggregate only.
///
/// ```
/// use eventwright::{Change, Event, EventEnvelope, Project, Projection};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// pub struct Placed { pub customer: String }
/// #[derive(Serialize, Deserialize)]
/// pub struct Shipped {}
///
/// #[derive(Event)]
/// pub enum OrderEvent {
///     Placed(Placed),
///     Shipped(Shipped),
/// }
///
/// #[derive(Serialize, Deserialize, Projection)]
/// #[projection(event = OrderEvent, key = order_id, table = "orders", ignore(Shipped))]
/// pub struct OrderRow {
///     pub order_id: String,
///     #[projection(index)]
///     pub customer: String,
/// }
///
/// impl Project<Placed> for OrderRow {
///     fn project(_: Option<Self>, event: &Placed, envelope: &EventEnvelope) -> Change<Self> {
///         Change::Upsert(OrderRow {
///             order_id: envelope.aggregate_id.clone(),
///             customer: event.customer.clone(),
///         })
///     }
/// }
///
/// assert_eq!((OrderRow::NAME, OrderRow::SCHEMA.name), ("order_row", "orders"));
/// assert!(OrderRow::SCHEMA.indexes[0].is_by("customer"));
/// ```
pub trait Projection: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The projection's name; its checkpoint is kept under this name.
    const NAME: &'static str;
    /// The row's table.
    const SCHEMA: TableSchema<'static>;
    /// The events this projection consumes.
    type Event: Event;
    /// The names of the projections whose rows it copies from ([`Project::joins`]). The engine
    /// runs them beside it, refuses a circle (two projections waiting for each other), and
    /// catches them up first.
    const READS: &'static [&'static str] = &[];

    /// The rows an event changes.
    fn changed_rows(event: &Self::Event, envelope: &EventEnvelope) -> Rows;

    /// The rows of other projections an event's change copies from.
    fn joins(event: &Self::Event, envelope: &EventEnvelope) -> Vec<Join>;

    /// The change an event makes to its row (`None` when there is no row yet), given the rows
    /// its [`joins`](Self::joins) found.
    fn project_event(
        row: Option<Self>,
        event: &Self::Event,
        envelope: &EventEnvelope,
        joined: &Joined,
    ) -> Change<Self>;
}

/// How one kind of event changes a projection's row.
///
/// `#[derive(Projection)]` requires one impl per kind of its event type, or the kind listed in
/// `#[projection(ignore(..))]`: adding a kind to the event enum is a compile error until every
/// projection decides.
#[diagnostic::on_unimplemented(
    message = "projection `{Self}` does not decide `{E}` events",
    label = "`{E}` is a kind of this event type, and `{Self}` neither projects nor ignores it",
    note = "add `impl eventwright::Project<{E}> for {Self}`, or list the kind in `#[projection(ignore({E}))]`"
)]
pub trait Project<E>: Projection + Receives<E> {
    /// The key of the row the event changes: by default, the id of the aggregate that recorded it.
    fn key(event: &E, envelope: &EventEnvelope) -> Value {
        let _ = event;
        Value::String(envelope.aggregate_id.clone())
    }

    /// The rows the event changes: by default the one under [`key`](Self::key). Return
    /// [`Rows::Where`] to change every row holding a value instead: a member renamed changes
    /// each of the member's loan rows. [`project`](Self::project) is then given each of them.
    fn rows(event: &E, envelope: &EventEnvelope) -> Rows {
        Rows::Key(Self::key(event, envelope))
    }

    /// The rows of other projections this event's change copies from (a join done at write
    /// time: the book's title onto a loan row): each is read from its projection once that one
    /// has caught up with this event (see [`Join`]), and handed to
    /// [`project_joined`](Self::project_joined). By default, none.
    fn joins(event: &E, envelope: &EventEnvelope) -> Vec<Join> {
        let _ = (event, envelope);
        Vec::new()
    }

    /// The change, given the rows [`joins`](Self::joins) found: by default
    /// [`project`](Self::project)'s. An impl that joins overrides it, usually to copy fields
    /// onto the row `project` gives; `project` then says what the event does on its own, and is
    /// what happens when no joined row exists.
    fn project_joined(
        row: Option<Self>,
        event: &E,
        envelope: &EventEnvelope,
        joined: &Joined,
    ) -> Change<Self> {
        let _ = joined;
        Self::project(row, event, envelope)
    }

    fn project(row: Option<Self>, event: &E, envelope: &EventEnvelope) -> Change<Self>;
}

/// The rows an event changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    /// The row under this key: given to the projection as it is, or `None` when missing.
    Key(Value),
    /// Every row whose `column` holds `value`, each given to the projection in turn; no row is
    /// created. On Cassandra the column must be listed (`#[projection(index)]`), and a row
    /// written a moment before may be missed, as its list follows it by one write.
    Where { column: &'static str, value: Value },
}

/// That a projection receives `E` events: `E` is a kind of its event type. A supertrait of
/// [`Project`], so an impl for an event the projection never receives is refused where it is
/// written, and generic code bounded by `Project<E>` needs nothing more.
pub trait Receives<E> {}

impl<P, E> Receives<E> for P
where
    P: Projection,
    E: crate::__private::KindOf<P::Event>,
{
}

#[derive(Debug, Clone, PartialEq)]
pub enum Change<T> {
    /// Nothing changes (an ignored event, or no row to change).
    Keep,
    /// The row is written as given.
    Upsert(T),
    /// The row is removed.
    Delete,
}

/// The row key for a projection keyed by an integer aggregate id: the id's number, as stored
/// (aggregate ids travel as text in the envelope).
pub fn numeric_id_key(envelope: &EventEnvelope) -> Value {
    envelope.aggregate_id.parse::<i64>().map_or_else(
        |_| Value::String(envelope.aggregate_id.clone()),
        Value::from,
    )
}
