//! Why the domain refuses a command: a stable code for clients and tests to match on, a message
//! for people, and the field at fault when there is one.
//!
//! A handler returns its aggregate's own rejection type ([`Aggregate::Rejection`]): an enum of
//! the domain's reasons with `#[derive(DomainRejection)]`, or [`Rejection`] itself for handlers
//! that need no more than a message. The dispatcher carries either as a [`Rejection`], which
//! keeps the domain's value: [`Rejection::domain`] gives it back, typed.
//!
//! [`Aggregate::Rejection`]: crate::Aggregate::Rejection

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// How a rejection is answered: the request was sound but the state forbids it, or a field's
/// value is one the domain cannot accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectionKind {
    /// The aggregate's current state forbids the command (HTTP 409).
    Refused,
    /// A field has a value the domain cannot accept (HTTP 400).
    Invalid,
}

/// A domain's reason for refusing a command.
///
/// # `#[derive(DomainRejection)]`
///
/// On an enum. Each variant names its stable machine code, `#[rejection(code = "overdrawn")]`,
/// and may name the field at fault, `field = "amount"`, and whether the field's value is what
/// is wrong rather than the state, `invalid`. The message is the enum's `Display`
/// (`thiserror` writes it well).
///
/// ```
/// use eventwright::{DomainRejection, Rejection, RejectionKind};
///
/// #[derive(Debug, PartialEq, thiserror::Error, DomainRejection)]
/// pub enum AccountRejection {
///     #[error("the account is closed")]
///     #[rejection(code = "account_closed")]
///     Closed,
///     #[error("{amount} is more than the {available} available")]
///     #[rejection(code = "overdrawn", field = "amount")]
///     Overdrawn { amount: i64, available: i64 },
///     #[error("amounts are positive")]
///     #[rejection(code = "not_positive", field = "amount", invalid)]
///     NotPositive,
/// }
///
/// let rejection = Rejection::from_domain(AccountRejection::Overdrawn { amount: 9, available: 5 });
/// assert_eq!(rejection.code(), "overdrawn");
/// assert_eq!(rejection.field(), Some("amount"));
/// assert_eq!(rejection.kind(), RejectionKind::Refused);
/// assert_eq!(rejection.message(), "9 is more than the 5 available");
/// assert_eq!(
///     rejection.domain::<AccountRejection>(),
///     Some(&AccountRejection::Overdrawn { amount: 9, available: 5 })
/// );
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a rejection type",
    label = "handlers refuse with `{Self}`, which does not implement `DomainRejection`",
    note = "derive `DomainRejection` on an enum of the domain's reasons, each with `#[rejection(code = \"...\")]`, or use `eventwright::Rejection`"
)]
pub trait DomainRejection: fmt::Display + fmt::Debug + Send + Sync + 'static {
    /// Stable and machine-readable: clients branch on it, so it outlives any wording.
    fn code(&self) -> &str;

    /// The field at fault, when one is.
    fn field(&self) -> Option<&str> {
        None
    }

    fn kind(&self) -> RejectionKind {
        RejectionKind::Refused
    }

    /// As the dispatcher carries it.
    fn into_rejection(self) -> Rejection
    where
        Self: Sized,
    {
        Rejection::from_domain(self)
    }
}

/// A command the domain refused, as the dispatcher and the HTTP API carry it.
///
/// Two rejections are equal when their kind, code, message and field are; the domain's value
/// is compared through [`domain`](Self::domain).
#[derive(Clone)]
pub struct Rejection {
    kind: RejectionKind,
    code: Cow<'static, str>,
    message: Cow<'static, str>,
    field: Option<Cow<'static, str>>,
    domain: Option<Arc<dyn Any + Send + Sync>>,
}

impl Rejection {
    /// The state forbids this command, e.g. "the book is already on loan"; code `rejected`
    /// until [`with_code`](Self::with_code) names a better one.
    pub fn guard(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind: RejectionKind::Refused,
            code: Cow::Borrowed("rejected"),
            message: message.into(),
            field: None,
            domain: None,
        }
    }

    /// The state forbids this command, for the reason `code` clients match on, e.g.
    /// `refused("book_on_loan", "the book is already on loan")`.
    pub fn refused(
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::guard(message).with_code(code)
    }

    /// `field` has a value the domain cannot accept; code `invalid_field` until
    /// [`with_code`](Self::with_code) names a better one.
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            kind: RejectionKind::Invalid,
            code: Cow::Borrowed("invalid_field"),
            message: message.into(),
            field: Some(field.into()),
            domain: None,
        }
    }

    /// The same rejection with a stable code clients can match on, e.g. `book_on_loan`.
    pub fn with_code(mut self, code: impl Into<Cow<'static, str>>) -> Self {
        self.code = code.into();
        self
    }

    /// The same rejection, naming the field at fault.
    pub fn with_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// A domain's rejection, keeping its value for [`domain`](Self::domain).
    pub fn from_domain<R: DomainRejection>(rejection: R) -> Self {
        let domain: &dyn Any = &rejection;
        if let Some(rejection) = domain.downcast_ref::<Rejection>() {
            return rejection.clone();
        }
        Self {
            kind: rejection.kind(),
            code: Cow::Owned(rejection.code().to_owned()),
            message: Cow::Owned(rejection.to_string()),
            field: rejection.field().map(|field| Cow::Owned(field.to_owned())),
            domain: Some(Arc::new(rejection)),
        }
    }

    pub fn kind(&self) -> RejectionKind {
        self.kind
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// The domain's own rejection, when it is an `R`.
    pub fn domain<R: DomainRejection>(&self) -> Option<&R> {
        self.domain.as_deref()?.downcast_ref::<R>()
    }
}

impl DomainRejection for Rejection {
    fn code(&self) -> &str {
        &self.code
    }

    fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    fn kind(&self) -> RejectionKind {
        self.kind
    }

    fn into_rejection(self) -> Rejection {
        self
    }
}

impl PartialEq for Rejection {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.code == other.code
            && self.message == other.message
            && self.field == other.field
    }
}

impl Eq for Rejection {}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejection")
            .field("kind", &self.kind)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, &self.field) {
            (RejectionKind::Invalid, Some(field)) => write!(f, "{field}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Rejection {}

#[cfg(test)]
mod tests {
    use super::{DomainRejection, Rejection, RejectionKind};

    #[derive(Debug, PartialEq)]
    struct Overdrawn;

    impl std::fmt::Display for Overdrawn {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("not enough money")
        }
    }

    impl DomainRejection for Overdrawn {
        fn code(&self) -> &str {
            "overdrawn"
        }
    }

    #[test]
    fn a_domain_rejection_keeps_its_code_its_message_and_its_value() {
        let rejection = Overdrawn.into_rejection();
        assert_eq!(rejection.code(), "overdrawn");
        assert_eq!(rejection.message(), "not enough money");
        assert_eq!(rejection.kind(), RejectionKind::Refused);
        assert_eq!(rejection.domain::<Overdrawn>(), Some(&Overdrawn));
        assert_eq!(rejection.domain::<Rejection>(), None);
    }

    #[test]
    fn a_rejection_passed_as_a_domain_rejection_stays_itself() {
        let guard = Rejection::guard("closed").with_code("closed");
        assert_eq!(Rejection::from_domain(guard.clone()), guard);
        assert_eq!(guard.to_string(), "closed");
        let invalid = Rejection::invalid("amount", "must be positive");
        assert_eq!(invalid.code(), "invalid_field");
        assert_eq!(invalid.to_string(), "amount: must be positive");
        assert_ne!(invalid, invalid.clone().with_code("not_positive"));
    }
}
