//! The unique values a commit claims and releases: what the states it leaves hold that the
//! states it found did not, and the reverse.

use crate::store::UniqueValue;
use crate::unique::UniqueValues;

/// Values given up and taken by one aggregate's events.
#[derive(Debug, Default)]
pub(super) struct UniqueChanges {
    pub(super) releases: Vec<UniqueValue>,
    pub(super) claims: Vec<UniqueValue>,
}

impl UniqueChanges {
    /// Adds what moving from `before` to `after` releases and claims for one aggregate.
    pub(super) fn add(
        &mut self,
        aggregate_type: &str,
        aggregate_id: &str,
        before: &UniqueValues,
        after: &UniqueValues,
    ) {
        let value = |(scope, value): (&str, &str)| UniqueValue {
            scope: scope.to_owned(),
            value: value.to_owned(),
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
        };
        self.releases.extend(before.without(after).map(value));
        self.claims.extend(after.without(before).map(value));
    }

    pub(super) fn is_empty(&self) -> bool {
        self.releases.is_empty() && self.claims.is_empty()
    }

    /// Whether these changes claim `value` in `scope`.
    pub(super) fn claims(&self, scope: &str, value: &str) -> bool {
        self.claims
            .iter()
            .any(|claim| claim.scope == scope && claim.value == value)
    }
}
