//! The log as its readers see it. PostgreSQL shows a commit only once every older transaction
//! on the server has ended, other tests' included, so a test reading the log right after
//! writing waits until it shows what was written.

use std::time::{Duration, Instant};

use eventwright::store::{Cursor, EventStore, LogEntry};

/// Up to `limit` events from the start of the log, once it shows every event committed before
/// the call.
pub async fn settled_log(store: &dyn EventStore, limit: usize) -> Vec<LogEntry> {
    let committed = store.last_committed().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = store.read_all(Cursor::START, limit).await.unwrap();
        let shown = log.last().map_or(Cursor::START, |entry| entry.cursor);
        if shown >= committed || log.len() == limit {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "30 s on, the log shows {} events, up to {shown:?}; committed up to {committed:?}",
            log.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
