//! Tenants: the customers one deployment serves, each with stores of its own.
//!
//! A service that serves several tenants keeps each one's events and rows apart by keeping them
//! in different places: a database file, a schema or a keyspace per tenant
//! ([`store::tenant_store`](crate::store::tenant_store)), and topics per tenant on Kafka. Nothing
//! that one tenant's commands, queries, projections or workflows touch can hold another's data,
//! so no query can forget to filter it out. The tenant of a request is the one its bearer token
//! names (`http::Tenants`).

use std::fmt;

/// The longest tenant name: with a prefix, a schema or keyspace name stays within 48 characters.
pub const MAX_TENANT_NAME: usize = 32;

/// A tenant's name, as tokens carry it: 1 to 32 lowercase letters, digits and hyphens, starting
/// with a letter or a digit. It names its stores, so it is spelled the same everywhere: case is
/// not folded, and anything else is refused rather than changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tenant(String);

/// A tenant name that cannot name stores.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{name}` is not a tenant name: {reason} (a tenant name is 1 to 32 lowercase letters, \
     digits and hyphens, starting with a letter or a digit)"
)]
pub struct TenantError {
    pub name: String,
    pub reason: &'static str,
}

impl Tenant {
    pub fn new(name: impl Into<String>) -> Result<Self, TenantError> {
        let name = name.into();
        let refuse = |reason| {
            Err(TenantError {
                name: name.clone(),
                reason,
            })
        };
        if name.is_empty() {
            return refuse("it is empty");
        }
        if name.len() > MAX_TENANT_NAME {
            return refuse("it is too long");
        }
        if name.starts_with('-') {
            return refuse("it starts with a hyphen");
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if !name.chars().all(allowed) {
            return refuse("it holds a character other than a-z, 0-9 and -");
        }
        Ok(Self(name))
    }

    /// The name, as the token carries it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a database identifier (a schema, a keyspace, a file name part): hyphens
    /// become underscores. No two tenants share one, since a tenant name holds no underscore.
    pub fn identifier(&self) -> String {
        self.0.replace('-', "_")
    }

    /// `location` with each `{tenant}` replaced by [`identifier`](Self::identifier), when it
    /// holds one: a service's store URL that says itself where each tenant's store is. Each
    /// store checks first that the placeholder is where it tells stores apart
    /// ([`misplaced`]).
    pub fn fill(&self, location: &str) -> Option<String> {
        location
            .contains(PLACEHOLDER)
            .then(|| location.replace(PLACEHOLDER, &self.identifier()))
    }
}

/// Where a store URL puts the tenant's name.
pub const PLACEHOLDER: &str = "{tenant}";

/// Refuses a `url` whose `{tenant}` is somewhere else than `part` (what `where_` names): a
/// placeholder in a user name or a query setting would leave every tenant in one store.
pub fn misplaced(url: &str, part: &str, where_: &str) -> Option<String> {
    (url.contains(PLACEHOLDER)
        && url.matches(PLACEHOLDER).count() != part.matches(PLACEHOLDER).count())
    .then(|| {
        format!(
            "{{tenant}} in a store URL goes in {where_}, which tells tenants' stores apart; \
                 anywhere else every tenant would share one store"
        )
    })
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Tenant {
    type Err = TenantError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::new(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_can_name_stores_are_taken() {
        for name in ["acme", "north-1", "7f9c", "a"] {
            assert_eq!(Tenant::new(name).unwrap().as_str(), name);
        }
        assert_eq!(Tenant::new("north-1").unwrap().identifier(), "north_1");
    }

    #[test]
    fn a_location_with_the_placeholder_is_filled_in() {
        let tenant = Tenant::new("north-1").unwrap();
        assert_eq!(
            tenant
                .fill("postgres://db/stock_{tenant}?x={tenant}")
                .as_deref(),
            Some("postgres://db/stock_north_1?x=north_1")
        );
        assert_eq!(tenant.fill("postgres://db/stock"), None);
    }

    #[test]
    fn other_names_are_refused_with_the_reason() {
        for (name, reason) in [
            ("", "it is empty"),
            ("Acme", "it holds a character other than a-z, 0-9 and -"),
            ("a_b", "it holds a character other than a-z, 0-9 and -"),
            ("../etc", "it holds a character other than a-z, 0-9 and -"),
            ("a b", "it holds a character other than a-z, 0-9 and -"),
            ("-a", "it starts with a hyphen"),
            (&"a".repeat(33), "it is too long"),
        ] {
            let error = Tenant::new(name).unwrap_err();
            assert_eq!(error.reason, reason, "{name}");
            assert!(error.to_string().contains(&format!("`{name}`")));
        }
    }
}
