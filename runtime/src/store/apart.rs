//! Work a `Drop` must see finished, on a thread and a runtime of its own: the dropping thread
//! may be running a test's own runtime, which cannot wait on itself.

use std::future::Future;

use super::StoreError;

/// Runs the future `work` makes to its end; when it fails, logs that the scratch `kind` (a
/// schema, a keyspace) `name` was left behind.
pub(crate) fn drop_scratch<F>(kind: &str, name: &str, work: impl FnOnce() -> F + Send + 'static)
where
    F: Future<Output = Result<(), StoreError>>,
{
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| StoreError::Unavailable(error.to_string()))?;
        runtime.block_on(work())
    })
    .join();
    match dropped {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%name, %error, "scratch {kind} left behind"),
        Err(_) => tracing::warn!(%name, "scratch {kind} left behind"),
    }
}
