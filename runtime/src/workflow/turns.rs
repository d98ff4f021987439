//! One step at a time per process in this process: an event's step and a timer's of the same
//! process take turns rather than race to a conflict. (Across processes the state row's
//! version decides which of two racing steps commits.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

type Lock = Arc<tokio::sync::Mutex<()>>;

#[derive(Debug, Default)]
pub(super) struct Turns {
    locks: Mutex<HashMap<String, Lock>>,
}

/// A process's turn, held until dropped.
pub(super) struct Turn<'a> {
    guard: Option<OwnedMutexGuard<()>>,
    key: String,
    turns: &'a Turns,
}

impl Turns {
    pub(super) async fn take(&self, workflow: &str, correlation: &str) -> Turn<'_> {
        let key = format!("{workflow}\n{correlation}");
        let lock = Arc::clone(self.held().entry(key.clone()).or_default());
        let guard = lock.lock_owned().await;
        Turn {
            guard: Some(guard),
            key,
            turns: self,
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, Lock>> {
        self.locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.guard = None;
        let mut held = self.turns.held();
        // No one else holds or waits for it: forget it, so the map holds only live turns.
        if held
            .get(&self.key)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            held.remove(&self.key);
        }
    }
}
