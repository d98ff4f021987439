//! A projection changed since its live tables were built (a field, a list or a count added or
//! changed): those tables cannot take its rows, so its task rebuilds it from the events into a
//! new generation before applying anything, and switches to it when caught up. Its queries
//! answer [`QueryError::Rebuilding`](crate::QueryError::Rebuilding) meanwhile; every other
//! projection, and the commands, go on as before.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ProjectionEngine;
use super::projector::Projector;
use super::rebuild::{Progress, Rebuild, RebuildError};
use crate::store::StoreError;

/// How often a rebuild's progress is logged.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

impl ProjectionEngine {
    /// Rebuilds `projector`'s projection when its live tables were built for another shape of
    /// it, trying again after a failure until it is done (a rebuild resumes where it stopped).
    pub(super) async fn rebuild_if_changed(&self, projector: &Arc<dyn Projector>) {
        let name = projector.name();
        loop {
            match self.rebuild_once_if_changed(projector).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::error!(projection = name, %error, "rebuilding the changed projection failed; retrying");
                    tokio::time::sleep(self.policy.retry_delay).await;
                }
            }
        }
    }

    async fn rebuild_once_if_changed(
        &self,
        projector: &Arc<dyn Projector>,
    ) -> Result<(), RebuildError> {
        let (name, schema) = (projector.name(), projector.schema());
        if !self.changed(projector.as_ref()).await? {
            return Ok(());
        }
        tracing::info!(
            projection = name,
            "rebuilding the changed projection from the events"
        );
        let rebuild = Rebuild {
            events: Arc::clone(&self.events),
            read: Arc::clone(&self.read),
            projector: Arc::clone(projector),
            marks: self.feed.marks(),
            // The live tables answer none of its queries: nothing needs them once switched.
            grace: Duration::ZERO,
        };
        let mut logged = Instant::now();
        let rebuilt = rebuild
            .run(|progress: Progress| {
                if logged.elapsed() >= PROGRESS_EVERY {
                    logged = Instant::now();
                    tracing::info!(
                        projection = name,
                        generation = progress.generation,
                        events = progress.events,
                        "rebuilding the changed projection"
                    );
                }
            })
            .await?;
        tracing::info!(
            projection = name,
            generation = rebuilt.generation,
            events = rebuilt.events,
            table = schema.name,
            "the changed projection is rebuilt and active"
        );
        Ok(())
    }

    /// Whether the projection's live tables were built for another shape of it.
    async fn changed(&self, projector: &dyn Projector) -> Result<bool, StoreError> {
        self.at_active(projector.name())
            .await?
            .built_for_another_shape(projector.schema())
            .await
    }
}
