//! Commands: requests to change one aggregate, validated and then handled against its state.

use std::fmt;
use std::pin::Pin;
use std::task::Poll;

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
pub use crate::context::Surroundings;
use crate::context::{Context, MissingServices};
use crate::rejection::{DomainRejection, Rejection};

/// A request addressed to one aggregate.
///
/// # `#[derive(Command)]`
///
/// On a struct with named fields. Keys of `#[command(...)]` on the struct:
///
/// | key | value | default |
/// |---|---|---|
/// | `aggregate` | the aggregate that handles it, `Order` | required |
/// | `name` | [`NAME`](Command::NAME), used in logs and routes | the struct's name in snake_case |
/// | `creates` | flag: [`CREATES`](Command::CREATES) | off |
/// | `retries` | [`RETRIES_ON_CONFLICT`](Command::RETRIES_ON_CONFLICT) | 3 |
/// | `validate` | flag: [`validate`](Command::validate) runs the struct's `garde::Validate` | off |
///
/// and on a field, `#[command(id)]` marks the aggregate id (else the field named `id` is).
/// The derive implements [`handle_on`](Command::handle_on) with the aggregate's [`Handle`] or
/// [`HandleWith`] impl for the command, and fails to compile when it has neither.
///
/// With `validate`, field rules are garde's (`#[garde(length(min = 1))]`, `#[garde(range(..))]`,
/// ...); failures become [`ValidationErrors`] naming each field, which the HTTP glue answers
/// with a 400.
///
/// On an enum whose variants each hold one command struct, the derive implements [`Commands`](crate::Commands)
/// instead, so one endpoint can take any of them.
///
/// ```
/// use eventwright::testing::given;
/// use eventwright::{Aggregate, Apply, Command, DispatchError, Event, Handle, Rejection};
/// use serde::{Deserialize, Serialize};
///
/// # #[derive(Debug, PartialEq, Serialize, Deserialize, Event)]
/// # pub struct Deposited { pub amount: i64 }
/// # #[derive(Default, Aggregate)]
/// # #[aggregate(id = String, event = Deposited)]
/// # pub struct Account { balance: i64 }
/// # impl Apply<Deposited> for Account {
/// #     fn apply(&mut self, event: &Deposited) { self.balance += event.amount; }
/// # }
/// #[derive(garde::Validate, Command)]
/// #[command(aggregate = Account, creates, validate)]
/// pub struct Deposit {
///     #[command(id)]
///     #[garde(length(min = 1))]
///     pub account: String,
///     #[garde(range(min = 1))]
///     pub amount: i64,
/// }
///
/// impl Handle<Deposit> for Account {
///     fn handle(&self, command: &Deposit) -> Result<Vec<Deposited>, Rejection> {
///         Ok(vec![Deposited { amount: command.amount }])
///     }
/// }
///
/// given::<Account>([])
///     .when(Deposit { account: "a-1".into(), amount: 5 })
///     .then_expect_events([Deposited { amount: 5 }]);
///
/// let refused = given::<Account>([]).when(Deposit { account: "a-1".into(), amount: 0 });
/// let DispatchError::Invalid(errors) = refused.then_expect_error() else { unreachable!() };
/// assert_eq!(errors.first_field(), Some("amount"));
/// ```
pub trait Command: Send + Sync + 'static {
    type Aggregate: Aggregate;

    /// The command's name, used in logs and routes.
    const NAME: &'static str;

    /// Whether this command starts a new aggregate (and so is refused for an existing one).
    /// Other commands are refused for an aggregate that has no events yet.
    const CREATES: bool = false;

    /// How many times the dispatcher re-runs this command against fresh state after losing a race
    /// with a concurrent writer, before reporting the conflict.
    const RETRIES_ON_CONFLICT: u32 = 3;

    /// The id of the aggregate this command is addressed to.
    fn aggregate_id(&self) -> &<Self::Aggregate as Aggregate>::Id;

    /// Checks the command's own fields, before any state is loaded.
    fn validate(&self) -> Result<(), ValidationErrors> {
        Ok(())
    }

    /// Runs the aggregate's handler for this command on `state`: its [`Handle`] impl, or its
    /// [`HandleWith`] impl given a [`Context`] from `surroundings` (which fails when the
    /// aggregate's services were not given). `#[derive(Command)]` writes it, choosing
    /// whichever the aggregate has; the dispatcher and the test kit call it.
    fn handle_on<'a>(
        &'a self,
        state: &'a Self::Aggregate,
        surroundings: Surroundings<'a>,
    ) -> Result<Handled<'a, Self::Aggregate>, MissingServices>;
}

/// How an aggregate decides a command from its state alone: the events it records, or why it
/// refuses.
///
/// This is where domain logic lives. It sees the current state and the command, and nothing
/// else, which keeps it a pure function that given/when/then tests exercise directly. A handler
/// that needs more (a service to ask, the time, who sent the command) implements [`HandleWith`]
/// instead; `#[derive(Command)]` uses whichever of the two the aggregate has.
///
/// The error is the aggregate's [`Rejection`](Aggregate::Rejection): [`Rejection`] unless
/// `#[aggregate(rejection = ...)]` names the domain's own enum.
#[diagnostic::on_unimplemented(
    message = "aggregate `{Self}` does not handle the command `{C}`",
    label = "`{C}` is addressed to `{Self}` here, and `{Self}` has no `impl Handle<{C}>`",
    note = "add `impl eventwright::Handle<{C}> for {Self} {{ fn handle(&self, command: &{C}) -> Result<Vec<Self::Event>, Self::Rejection> {{ .. }} }}`, or `impl eventwright::HandleWith<{C}>` for a handler that needs services or the clock",
    note = "in a project eventwright generated, handlers are yours: write it in the `handlers.rs` of `{Self}`'s module (`src/<aggregate>/handlers.rs`)"
)]
pub trait Handle<C>: Aggregate
where
    C: Command<Aggregate = Self>,
{
    fn handle(&self, command: &C) -> Result<Vec<Self::Event>, Self::Rejection>;
}

/// How an aggregate decides a command with help: asynchronously, given a [`Context`] with the
/// application's services ([`Aggregate::Services`]), the clock and the command's metadata.
///
/// ```
/// use eventwright::clock::ManualClock;
/// use eventwright::testing::given;
/// use eventwright::{Aggregate, Apply, Command, Context, Event, HandleWith, Rejection};
/// use serde::{Deserialize, Serialize};
///
/// /// What the bank asks while deciding: here, each customer's overdraft limit.
/// pub struct Limits { pub overdraft: i64 }
///
/// # #[derive(Debug, PartialEq, Serialize, Deserialize, Event)]
/// # pub struct Withdrawn { pub amount: i64, pub at: chrono::DateTime<chrono::Utc> }
/// #[derive(Default, Aggregate)]
/// #[aggregate(id = String, event = Withdrawn, services = Limits)]
/// pub struct Account { balance: i64 }
/// # impl Apply<Withdrawn> for Account {
/// #     fn apply(&mut self, event: &Withdrawn) { self.balance -= event.amount; }
/// # }
///
/// #[derive(Command)]
/// #[command(aggregate = Account)]
/// pub struct Withdraw { pub id: String, pub amount: i64 }
///
/// impl HandleWith<Withdraw> for Account {
///     async fn handle(
///         &self,
///         command: &Withdraw,
///         context: Context<'_, Limits>,
///     ) -> Result<Vec<Withdrawn>, Rejection> {
///         if self.balance - command.amount < -context.services().overdraft {
///             return Err(Rejection::guard("over the overdraft limit").with_code("overdrawn"));
///         }
///         Ok(vec![Withdrawn { amount: command.amount, at: context.now() }])
///     }
/// }
///
/// let at = "2026-03-01T09:00:00Z".parse().unwrap();
/// given::<Account>([Withdrawn { amount: 0, at }])
///     .with_services(Limits { overdraft: 50 })
///     .with_clock(ManualClock::at(at))
///     .when(Withdraw { id: "a-1".into(), amount: 40 })
///     .then_expect_events([Withdrawn { amount: 40, at }]);
/// ```
#[diagnostic::on_unimplemented(
    message = "aggregate `{Self}` does not handle the command `{C}` with a context",
    label = "`{Self}` has no `impl HandleWith<{C}>`"
)]
pub trait HandleWith<C>: Aggregate
where
    C: Command<Aggregate = Self>,
{
    fn handle(
        &self,
        command: &C,
        context: Context<'_, Self::Services>,
    ) -> impl Future<Output = Result<Vec<Self::Event>, Self::Rejection>> + Send;
}

/// A handler's answer, ready or on its way: what [`Command::handle_on`] returns. A [`Handle`]
/// answers at once, with no allocation; a [`HandleWith`] is boxed, once per command.
pub struct Handled<'a, A: Aggregate>(Answer<'a, A>);

type Decided<A> = Result<Vec<<A as Aggregate>::Event>, Rejection>;

enum Answer<'a, A: Aggregate> {
    Ready(Option<Decided<A>>),
    Pending(Pin<Box<dyn Future<Output = Decided<A>> + Send + 'a>>),
}

impl<'a, A: Aggregate> Handled<'a, A> {
    pub fn ready(result: Result<Vec<A::Event>, A::Rejection>) -> Self {
        Self(Answer::Ready(Some(
            result.map_err(DomainRejection::into_rejection),
        )))
    }

    pub fn pending(
        future: impl Future<Output = Result<Vec<A::Event>, A::Rejection>> + Send + 'a,
    ) -> Self {
        Self(Answer::Pending(Box::pin(async move {
            future.await.map_err(DomainRejection::into_rejection)
        })))
    }
}

impl<A: Aggregate> fmt::Debug for Handled<'_, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Answer::Ready(_) => "Handled::Ready",
            Answer::Pending(_) => "Handled::Pending",
        })
    }
}

// Never pinned structurally: a pending answer is polled through its own box.
impl<A: Aggregate> Unpin for Handled<'_, A> {}

impl<A: Aggregate> Future for Handled<'_, A> {
    type Output = Result<Vec<A::Event>, Rejection>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            Answer::Ready(result) => {
                Poll::Ready(result.take().expect("a handler's answer is taken once"))
            }
            Answer::Pending(future) => future.as_mut().poll(cx),
        }
    }
}

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's path, e.g. `quantity` or `lines[0].product_id`.
    pub field: String,
    pub message: String,
}

/// Every field that failed validation, in field order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// The first failing field, for a one-line summary.
    pub fn first_field(&self) -> Option<&str> {
        self.0.first().map(|error| error.field.as_str())
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", error.field, error.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl From<garde::Report> for ValidationErrors {
    fn from(report: garde::Report) -> Self {
        Self(
            report
                .iter()
                .map(|(path, error)| FieldError {
                    field: path.to_string(),
                    message: error.message().to_string(),
                })
                .collect(),
        )
    }
}
