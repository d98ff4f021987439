//! Values that at most one aggregate holds at a time: an ISBN, an email, a username.
//!
//! An aggregate says which values its state holds ([`Aggregate::unique_values`]); the
//! [`Dispatcher`](crate::Dispatcher) compares what a command's events leave with what was there
//! before, and claims and releases the difference in the same transaction as the events
//! ([`EventStore::append_if`](crate::store::EventStore::append_if)). So a value is claimed by
//! the event that sets it and released by the one that clears or changes it (a withdrawn book
//! frees its ISBN), and a second claim is refused with
//! [`DispatchError::Taken`](crate::DispatchError::Taken), never raced.
//!
//! [`Aggregate::unique_values`]: crate::Aggregate::unique_values

use std::fmt::Display;

/// The unique values a state holds, each in its scope.
///
/// A scope is where a value must be unique: by default `Type.field` (`Book.isbn`), narrowed
/// with [`hold_within`](Self::hold_within) to a part of it (`Member.email/library-7`: one email
/// per library).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UniqueValues {
    held: Vec<(String, String)>,
}

impl UniqueValues {
    /// The state holds `value` in `scope`, if it has one: an empty string or `None` holds
    /// nothing (see [`UniqueKey`]).
    pub fn hold(&mut self, scope: &str, value: &impl UniqueKey) {
        if let Some(value) = value.unique_key() {
            self.held.push((scope.to_owned(), value));
        }
    }

    /// As [`hold`](Self::hold), unique only among aggregates whose `within` is the same.
    pub fn hold_within(&mut self, scope: &str, within: &impl Display, value: &impl UniqueKey) {
        if let Some(value) = value.unique_key() {
            self.held.push((format!("{scope}/{within}"), value));
        }
    }

    /// Each `(scope, value)` held, in the order they were named.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.held
            .iter()
            .map(|(scope, value)| (scope.as_str(), value.as_str()))
    }

    /// The values held here and not in `other`.
    pub(crate) fn without<'a>(
        &'a self,
        other: &'a Self,
    ) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.iter()
            .filter(move |held| !other.iter().any(|kept| kept == *held))
    }
}

/// A field's value as a unique key, or `None` when the field holds nothing.
///
/// A state's `Default` must hold nothing, or every new aggregate would hold the same value
/// without having claimed it: so a `String` holds nothing when empty, and integers and uuids
/// (whose every value, `0` included, is a key) are unique only as an `Option`, holding nothing
/// when `None`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a unique value",
    label = "marked unique here",
    note = "a unique field is a `String` (empty holds nothing), or an `Option` of a `String`, an integer or a `Uuid` (`None` holds nothing): a plain integer's default, 0, would be a value every new aggregate holds"
)]
pub trait UniqueKey {
    fn unique_key(&self) -> Option<String>;
}

impl UniqueKey for String {
    fn unique_key(&self) -> Option<String> {
        self.as_str().unique_key()
    }
}

impl UniqueKey for str {
    fn unique_key(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.to_owned())
    }
}

impl<T: PresentKey> UniqueKey for Option<T> {
    fn unique_key(&self) -> Option<String> {
        self.as_ref().and_then(PresentKey::present_key)
    }
}

impl<T: UniqueKey + ?Sized> UniqueKey for &T {
    fn unique_key(&self) -> Option<String> {
        (**self).unique_key()
    }
}

/// A value that is a key when it is there at all: what an `Option` unique field may hold.
pub trait PresentKey {
    fn present_key(&self) -> Option<String>;
}

impl PresentKey for String {
    fn present_key(&self) -> Option<String> {
        self.unique_key()
    }
}

macro_rules! present_by_display {
    ($($type:ty),*) => {$(
        impl PresentKey for $type {
            fn present_key(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}

present_by_display!(i32, i64, u32, u64, uuid::Uuid);

#[cfg(test)]
mod tests {
    use super::UniqueValues;

    #[test]
    fn empty_and_absent_values_hold_nothing_and_changes_are_the_difference() {
        let mut before = UniqueValues::default();
        before.hold("Book.isbn", &"978-1".to_owned());
        before.hold("Book.barcode", &None::<String>);
        before.hold_within("Member.email", &"lib-7", &Some("a@b".to_owned()));
        assert_eq!(
            before.iter().collect::<Vec<_>>(),
            [("Book.isbn", "978-1"), ("Member.email/lib-7", "a@b")]
        );
        let mut after = UniqueValues::default();
        after.hold("Book.isbn", &"978-2".to_owned());
        after.hold("Book.title", &String::new());
        assert_eq!(
            before.without(&after).collect::<Vec<_>>(),
            [("Book.isbn", "978-1"), ("Member.email/lib-7", "a@b")]
        );
        assert_eq!(
            after.without(&before).collect::<Vec<_>>(),
            [("Book.isbn", "978-2")]
        );
    }
}
