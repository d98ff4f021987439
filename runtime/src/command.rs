//! Commands: requests to change one aggregate, validated and then handled against its state.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;

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
/// The derive checks that the aggregate implements [`Handle`] for the command.
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
}

/// How an aggregate decides a command: the events it records, or why it refuses.
///
/// This is where domain logic lives. It sees the current state and the command, and nothing else,
/// which keeps it a pure function that given/when/then tests exercise directly.
#[diagnostic::on_unimplemented(
    message = "aggregate `{Self}` does not handle the command `{C}`",
    label = "`{C}` is addressed to `{Self}` here, and `{Self}` has no `impl Handle<{C}>`",
    note = "add `impl eventwright::Handle<{C}> for {Self} {{ fn handle(&self, command: &{C}) -> Result<Vec<Self::Event>, eventwright::Rejection> {{ .. }} }}`"
)]
pub trait Handle<C>: Aggregate
where
    C: Command<Aggregate = Self>,
{
    fn handle(&self, command: &C) -> Result<Vec<Self::Event>, Rejection>;
}

/// A command that the domain refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The aggregate's current state forbids the command (HTTP 409).
    #[error("{0}")]
    Guard(Cow<'static, str>),
    /// A field has a value the domain cannot accept (HTTP 400).
    #[error("{field}: {message}")]
    Invalid {
        field: Cow<'static, str>,
        message: Cow<'static, str>,
    },
}

impl Rejection {
    /// The state forbids this command, e.g. "status must be Draft".
    pub fn guard(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Guard(message.into())
    }

    /// `field` has a value the domain cannot accept.
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
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
