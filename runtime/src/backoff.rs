//! How long a writer that lost a race waits before trying again: the dispatcher after a
//! conflicting append, a Cassandra projector after a lost compare-and-set.

use std::time::Duration;

use uuid::Uuid;

/// How long to wait before retrying after the `conflicts`th conflict in a row: random ("full
/// jitter") below a ceiling that starts at [`BACKOFF_FIRST`] and doubles up to [`BACKOFF_MAX`].
pub(crate) fn backoff(conflicts: u32) -> Duration {
    let doubled = BACKOFF_FIRST.saturating_mul(1 << conflicts.saturating_sub(1).min(31));
    let ceiling = doubled.min(BACKOFF_MAX).as_micros();
    // A v4 uuid is 122 random bits from the OS: enough randomness without another dependency.
    let random = Uuid::new_v4().as_u128() % ceiling;
    Duration::from_micros(u64::try_from(random).expect("below the ceiling"))
}

const BACKOFF_FIRST: Duration = Duration::from_millis(1);
const BACKOFF_MAX: Duration = Duration::from_millis(256);

#[cfg(test)]
mod tests {
    use super::{BACKOFF_FIRST, BACKOFF_MAX, backoff};

    #[test]
    fn retries_wait_longer_after_each_conflict_in_a_row_up_to_a_limit() {
        for _ in 0..100 {
            assert!(backoff(1) < BACKOFF_FIRST);
            assert!(backoff(3) < 4 * BACKOFF_FIRST);
            assert!(backoff(1000) < BACKOFF_MAX);
        }
        let waits: std::collections::HashSet<_> = (0..20).map(|_| backoff(9)).collect();
        assert!(waits.len() > 1, "waits are random, so colliders spread out");
    }
}
