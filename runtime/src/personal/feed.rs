//! A feed whose events arrive with their personal fields opened: for a broker, which carries
//! them sealed.

use async_trait::async_trait;

use super::Shredder;
use crate::engine::{Delivery, Feed, FeedError, Marks, Subscription};
use crate::store::Cursor;

/// `inner`, each event it delivers opened (its forgotten subjects' fields `null`).
#[derive(Debug)]
pub struct SealedFeed {
    inner: std::sync::Arc<dyn Feed>,
    shredder: Shredder,
}

impl SealedFeed {
    pub fn new(inner: std::sync::Arc<dyn Feed>, shredder: Shredder) -> Self {
        Self { inner, shredder }
    }
}

#[async_trait]
impl Feed for SealedFeed {
    fn marks(&self) -> Marks {
        self.inner.marks()
    }

    async fn subscribe(
        &self,
        projection: &str,
        after: Cursor,
    ) -> Result<Box<dyn Subscription>, FeedError> {
        Ok(Box::new(Opened {
            inner: self.inner.subscribe(projection, after).await?,
            shredder: self.shredder.clone(),
        }))
    }

    async fn behind(&self, projection: &str, checkpoint: Cursor) -> Result<u64, FeedError> {
        self.inner.behind(projection, checkpoint).await
    }
}

struct Opened {
    inner: Box<dyn Subscription>,
    shredder: Shredder,
}

#[async_trait]
impl Subscription for Opened {
    async fn next_batch(&mut self) -> Result<Vec<Delivery>, FeedError> {
        let mut batch = self.inner.next_batch().await?;
        let events = batch
            .iter_mut()
            .filter_map(|delivery| delivery.event.as_mut().ok())
            .collect();
        self.shredder
            .open_all(events)
            .await
            .map_err(FeedError::new)?;
        Ok(batch)
    }

    async fn ack(&mut self) -> Result<(), FeedError> {
        self.inner.ack().await
    }

    async fn dead_letter(&mut self, index: usize, reason: &str) -> Result<bool, FeedError> {
        self.inner.dead_letter(index, reason).await
    }
}
