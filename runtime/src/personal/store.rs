//! An event store that seals personal fields as events go in, and opens them as they come out.

use async_trait::async_trait;
use serde_json::Value;

use super::Shredder;
use crate::event::{EventEnvelope, NewEvent};
use crate::store::{
    ConditionalAppend, Cursor, EventStore, LogEntry, SentCommand, Snapshot, StoreError,
};
use crate::tag::EventQuery;

/// Each event's id and payload as its caller sent them, before sealing.
type Sent = Vec<(uuid::Uuid, Value)>;

/// `inner`, with every personal field sealed in what it keeps and opened in what it returns.
///
/// Everything reading through it (aggregates, projections in process, workflows) sees plain
/// fields, or `null` where the subject was forgotten. A relay that publishes the log to a
/// broker reads `inner` itself, so the broker holds sealed fields too.
#[derive(Debug)]
pub struct SealedEventStore {
    inner: std::sync::Arc<dyn EventStore>,
    shredder: Shredder,
}

impl SealedEventStore {
    pub fn new(inner: std::sync::Arc<dyn EventStore>, shredder: Shredder) -> Self {
        Self { inner, shredder }
    }

    /// The returned envelopes with the fields their caller sent: the events were just sealed
    /// from them, so nothing needs opening.
    fn as_sent(mut stored: Vec<EventEnvelope>, sent: Sent) -> Vec<EventEnvelope> {
        for (event, (id, payload)) in stored.iter_mut().zip(sent) {
            if event.event_id == id {
                event.payload = payload;
            }
        }
        stored
    }

    /// Several appends, each one's events sealed in place, and each one's payloads as sent.
    /// When a key cannot be had, none is appended: the error, once per append.
    async fn sealed_each<T>(
        &self,
        mut appends: Vec<T>,
        events: impl Fn(&mut T) -> &mut Vec<NewEvent>,
    ) -> Result<(Vec<T>, Vec<Sent>), Vec<Result<Vec<EventEnvelope>, StoreError>>> {
        let mut sent = Vec::with_capacity(appends.len());
        for append in &mut appends {
            let group = events(append);
            match self.sealed(std::mem::take(group)).await {
                Ok((sealed, payloads)) => {
                    *group = sealed;
                    sent.push(payloads);
                }
                Err(error) => {
                    let message = error.to_string();
                    return Err((0..appends.len())
                        .map(|_| Err(StoreError::Unavailable(message.clone())))
                        .collect());
                }
            }
        }
        Ok((appends, sent))
    }

    /// Each append's result, with the payloads its caller sent.
    fn each_as_sent(
        results: Vec<Result<Vec<EventEnvelope>, StoreError>>,
        sent: Vec<Sent>,
    ) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
        results
            .into_iter()
            .zip(sent)
            .map(|(result, sent)| result.map(|stored| Self::as_sent(stored, sent)))
            .collect()
    }

    async fn sealed(&self, mut events: Vec<NewEvent>) -> Result<(Vec<NewEvent>, Sent), StoreError> {
        let sent = events
            .iter()
            .map(|event| (event.event_id, event.payload.clone()))
            .collect();
        self.shredder.seal(&mut events).await?;
        Ok((events, sent))
    }
}

#[async_trait]
impl EventStore for SealedEventStore {
    async fn prepare(&self) -> Result<(), StoreError> {
        self.inner.prepare().await
    }

    async fn load(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after_sequence: u64,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let mut events = self
            .inner
            .load(aggregate_type, aggregate_id, after_sequence)
            .await?;
        self.shredder.open_all(events.iter_mut().collect()).await?;
        Ok(events)
    }

    async fn read_matching(&self, query: &EventQuery) -> Result<Vec<EventEnvelope>, StoreError> {
        let mut events = self.inner.read_matching(query).await?;
        self.shredder.open_all(events.iter_mut().collect()).await?;
        Ok(events)
    }

    async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<EventEnvelope>, StoreError> {
        let (events, sent) = self.sealed(events).await?;
        Ok(Self::as_sent(self.inner.append(events).await?, sent))
    }

    async fn append_many(
        &self,
        groups: Vec<Vec<NewEvent>>,
    ) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
        let (groups, sent) = match self.sealed_each(groups, |group| group).await {
            Ok(sealed) => sealed,
            Err(failed) => return failed,
        };
        Self::each_as_sent(self.inner.append_many(groups).await, sent)
    }

    async fn append_if(
        &self,
        mut append: ConditionalAppend,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let (events, sent) = self.sealed(std::mem::take(&mut append.events)).await?;
        append.events = events;
        Ok(Self::as_sent(self.inner.append_if(append).await?, sent))
    }

    async fn append_if_many(
        &self,
        appends: Vec<ConditionalAppend>,
    ) -> Vec<Result<Vec<EventEnvelope>, StoreError>> {
        let sealed = self.sealed_each(appends, |append| &mut append.events).await;
        let (appends, sent) = match sealed {
            Ok(sealed) => sealed,
            Err(failed) => return failed,
        };
        Self::each_as_sent(self.inner.append_if_many(appends).await, sent)
    }

    async fn sent_command(
        &self,
        command_id: uuid::Uuid,
    ) -> Result<Option<SentCommand>, StoreError> {
        self.inner.sent_command(command_id).await
    }

    async fn record_refusal(&self, refused: SentCommand) -> Result<(), StoreError> {
        self.inner.record_refusal(refused).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    async fn cursor_of(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: u64,
    ) -> Result<Option<Cursor>, StoreError> {
        self.inner
            .cursor_of(aggregate_type, aggregate_id, sequence)
            .await
    }

    async fn count_after(&self, after: Cursor) -> Result<u64, StoreError> {
        self.inner.count_after(after).await
    }

    async fn read_all(&self, after: Cursor, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let mut entries = self.inner.read_all(after, limit).await?;
        let events = entries
            .iter_mut()
            .map(|entry| &mut entry.envelope)
            .collect();
        self.shredder.open_all(events).await?;
        Ok(entries)
    }

    async fn head(&self) -> Result<Cursor, StoreError> {
        self.inner.head().await
    }

    async fn last_committed(&self) -> Result<Cursor, StoreError> {
        self.inner.last_committed().await
    }

    async fn load_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        self.inner.load_snapshot(aggregate_type, aggregate_id).await
    }

    async fn save_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        snapshot: Snapshot,
    ) -> Result<(), StoreError> {
        self.inner
            .save_snapshot(aggregate_type, aggregate_id, snapshot)
            .await
    }

    async fn load_state(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<Snapshot>, StoreError> {
        self.inner.load_state(aggregate_type, aggregate_id).await
    }

    async fn commit_state(
        &self,
        expected_version: u64,
        state: Value,
        events: Vec<NewEvent>,
    ) -> Result<Vec<EventEnvelope>, StoreError> {
        let (events, sent) = self.sealed(events).await?;
        let stored = self
            .inner
            .commit_state(expected_version, state, events)
            .await?;
        Ok(Self::as_sent(stored, sent))
    }

    async fn relay_checkpoint(&self, relay: &str) -> Result<Cursor, StoreError> {
        self.inner.relay_checkpoint(relay).await
    }

    async fn save_relay_checkpoint(&self, relay: &str, cursor: Cursor) -> Result<(), StoreError> {
        self.inner.save_relay_checkpoint(relay, cursor).await
    }
}
