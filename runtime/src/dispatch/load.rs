//! An aggregate's state: from its newest snapshot and the events after it, or from its state
//! row.

use super::{DispatchError, Dispatcher};
use crate::aggregate::{Aggregate, Persistence};
use crate::event::DecodeError;
use crate::store::{Snapshot, StoreError};

impl Dispatcher {
    /// The aggregate's current state and version (0 when it has no events). A state-stored
    /// aggregate comes from its state row; an event-sourced one from its newest snapshot when it
    /// has a usable one, otherwise from its first event.
    pub async fn load<A: Aggregate>(&self, aggregate_id: &str) -> Result<(A, u64), DispatchError> {
        if A::PERSISTENCE == Persistence::StateStored {
            return self.load_state(aggregate_id).await;
        }
        let (mut state, mut version) = self.restore::<A>(aggregate_id).await;
        self.catch_up(aggregate_id, &mut state, &mut version)
            .await?;
        Ok((state, version))
    }

    /// A state-stored aggregate's state row, or the empty state at version 0. Unlike a snapshot,
    /// a row that no longer restores is an error: there are no events to rebuild it from.
    async fn load_state<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<(A, u64), DispatchError> {
        let stored = self
            .store
            .load_state(A::TYPE, aggregate_id)
            .await
            .map_err(DispatchError::Store)?;
        let Some(Snapshot { sequence, state }) = stored else {
            return Ok((A::default(), 0));
        };
        let state = A::restore(state).map_err(|error| {
            DispatchError::Store(StoreError::Corrupt(format!(
                "the stored state of {} {aggregate_id} no longer deserializes: {error}",
                A::TYPE
            )))
        })?;
        Ok((state, sequence))
    }

    /// The state in the aggregate's newest snapshot and its sequence, or the empty state at 0.
    async fn restore<A: Aggregate>(&self, aggregate_id: &str) -> (A, u64) {
        if A::SNAPSHOT_EVERY.is_none() {
            return (A::default(), 0);
        }
        let aggregate_type = A::TYPE;
        match self.store.load_snapshot(aggregate_type, aggregate_id).await {
            Ok(None) => (A::default(), 0),
            Ok(Some(Snapshot { sequence, state })) => match A::restore(state) {
                Ok(state) => (state, sequence),
                Err(error) => {
                    tracing::warn!(aggregate_type, aggregate_id, sequence, %error, "ignoring a snapshot that no longer restores; loading every event");
                    (A::default(), 0)
                }
            },
            Err(error) => {
                tracing::warn!(aggregate_type, aggregate_id, %error, "cannot read the snapshot; loading every event");
                (A::default(), 0)
            }
        }
    }

    /// Applies the aggregate's events after `version` to `state`.
    async fn catch_up<A: Aggregate>(
        &self,
        aggregate_id: &str,
        state: &mut A,
        version: &mut u64,
    ) -> Result<(), DispatchError> {
        let envelopes = self
            .store
            .load(A::TYPE, aggregate_id, *version)
            .await
            .map_err(DispatchError::Store)?;
        for envelope in envelopes {
            let event = envelope.decode::<A::Event>()?.ok_or_else(|| {
                DecodeError::new(
                    &envelope.event_type,
                    envelope.event_version,
                    format!("not an event of {}", A::TYPE),
                )
            })?;
            state.apply_event(&event);
            *version = envelope.sequence;
        }
        Ok(())
    }

    /// Stores `state` as the aggregate's snapshot at `sequence`. The events are committed
    /// already, so a failure here only costs later loads time: it is logged, never returned.
    pub(super) async fn save_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
        state: &A,
        sequence: u64,
    ) {
        self.store_snapshot(A::TYPE, aggregate_id, sequence, state.snapshot())
            .await;
    }

    /// [`save_snapshot`](Self::save_snapshot) for a state already taken as JSON (or not), whose
    /// type is no longer known: a decision's.
    pub(super) async fn store_snapshot(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: u64,
        taken: Result<serde_json::Value, serde_json::Error>,
    ) {
        let saved = match taken {
            Ok(state) => {
                self.store
                    .save_snapshot(aggregate_type, aggregate_id, Snapshot { sequence, state })
                    .await
            }
            Err(error) => {
                tracing::warn!(aggregate_type, aggregate_id, sequence, %error, "cannot take a snapshot");
                return;
            }
        };
        if let Err(error) = saved {
            tracing::warn!(aggregate_type, aggregate_id, sequence, %error, "storing a snapshot failed");
        }
    }
}
