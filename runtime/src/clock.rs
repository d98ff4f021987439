//! What time it is, asked of a [`Clock`] rather than of the system, so tests can freeze it;
//! and new ids, which carry the time they were made (UUID v7), so a frozen clock makes them
//! predictable too.
//!
//! The dispatcher keeps one clock (the [`SystemClock`] unless
//! [`Dispatcher::with_clock`](crate::Dispatcher::with_clock) says otherwise). Handlers read it
//! through their [`Context`](crate::Context), and every event a command records is stamped
//! with it, so a test that sets a [`ManualClock`] sees the same time in the handler's decision
//! and on the events.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use uuid::Uuid;

/// A source of the current time.
pub trait Clock: Debug + Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in UTC.
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// A new id, ordered by creation time (UUID v7).
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// The system's clock: what production uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to: for tests of deadlines, due dates and timestamps.
///
/// Clones share one time, so a test keeps a clone to move the clock it gave the dispatcher.
/// Its new ids are numbered from 1 (`Uuid::from_u128(1)`, then 2, ...), so a test can expect
/// them.
///
/// ```
/// use chrono::TimeDelta;
/// use eventwright::clock::{Clock, ManualClock};
///
/// let clock = ManualClock::at("2026-03-01T09:00:00Z".parse().unwrap());
/// let handle = clock.clone();
/// handle.advance(TimeDelta::days(21));
/// assert_eq!(clock.now().to_rfc3339(), "2026-03-22T09:00:00+00:00");
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
    ids: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at `now`.
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
            ids: Arc::default(),
        }
    }

    /// Moves the clock to `now` (backwards too: a test may need it).
    pub fn set(&self, now: DateTime<Utc>) {
        *self.lock() = now;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        self.now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }

    fn new_id(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.ids.fetch_add(1, Ordering::Relaxed) + 1))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::{Clock, ManualClock, SystemClock};

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_its_clones_move_with_it() {
        let clock = ManualClock::at("2026-01-31T23:30:00Z".parse().unwrap());
        let other = clock.clone();
        assert_eq!(clock.now(), other.now());
        other.advance(TimeDelta::hours(1));
        assert_eq!(clock.now().to_rfc3339(), "2026-02-01T00:30:00+00:00");
        assert_eq!(clock.today().to_string(), "2026-02-01");
        clock.set("2025-12-31T00:00:00Z".parse().unwrap());
        assert_eq!(other.today().to_string(), "2025-12-31");
    }

    #[test]
    fn a_manual_clocks_ids_are_numbered_from_one_across_its_clones() {
        let clock = ManualClock::at("2026-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(clock.new_id(), uuid::Uuid::from_u128(1));
        assert_eq!(clock.clone().new_id(), uuid::Uuid::from_u128(2));
        assert_ne!(SystemClock.new_id(), SystemClock.new_id());
    }

    #[test]
    fn the_system_clock_moves() {
        let before = SystemClock.now();
        assert!(SystemClock.now() >= before);
    }
}
