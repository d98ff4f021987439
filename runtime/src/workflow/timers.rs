//! The timer loop: fires every due timer of every workflow, by the dispatcher's clock.

use std::sync::Arc;
use std::time::Duration;

use super::run::{Runner, With};

/// How many due timers of one workflow are read at once.
const DUE_AT_ONCE: usize = 100;

/// Fires due timers until the task is stopped, looking every `poll`. A timer that fails to fire
/// stays pending and is tried again at the next look.
pub(super) async fn fire_due(runners: &[Arc<dyn Runner>], with: &With, poll: Duration) {
    loop {
        for runner in runners.iter().filter(|runner| runner.has_timers()) {
            fire_due_of(runner.as_ref(), with).await;
        }
        tokio::time::sleep(poll).await;
    }
}

/// Fires the timers of one workflow that are due now; returns how many fired.
pub(super) async fn fire_due_of(runner: &dyn Runner, with: &With) -> usize {
    let workflow = runner.name();
    let now = with.dispatcher.clock().now();
    let due = match with.store.due_timers(workflow, now, DUE_AT_ONCE).await {
        Ok(due) => due,
        Err(error) => {
            tracing::warn!(workflow, %error, "cannot read the due timers; trying again");
            return 0;
        }
    };
    let mut fired = 0;
    for timer in &due {
        match runner.on_timer(with, timer).await {
            Ok(()) => fired += 1,
            Err(error) => {
                tracing::warn!(workflow, correlation = timer.correlation, timer = timer.name, %error, "a timer failed to fire; trying again");
            }
        }
    }
    fired
}
