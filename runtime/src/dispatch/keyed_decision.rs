//! A decision sent with a client's key ([`RequestKey`]): answered from its record when sent
//! again, as a command sent with a key is.

use super::decision::run_decision;
use super::{Committed, DispatchError, Dispatcher, RequestKey, sent};
use crate::decision::Decide;
use crate::event::Metadata;
use crate::store::SentCommand;
use crate::trace_context;

impl Dispatcher {
    /// [`dispatch_decision`](Self::dispatch_decision) for a client's request that carries a key
    /// of its own, answered as the aggregate `aggregate_type` `aggregate_id` (the one the
    /// request names) saw it: as [`dispatch_keyed`](Self::dispatch_keyed), the same request
    /// sent again gets the first answer and appends nothing, and another request with the key
    /// is refused with [`DispatchError::IdReused`].
    pub async fn dispatch_decision_keyed<D: Decide>(
        &self,
        key: &RequestKey,
        aggregate_type: &'static str,
        aggregate_id: &str,
        decision: D,
        mut metadata: Metadata,
    ) -> Result<Committed, DispatchError> {
        if metadata.traceparent.is_none() {
            metadata.traceparent = trace_context::current();
        }
        let record = SentCommand {
            command_id: key.command_id,
            aggregate_type: aggregate_type.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            refusal: None,
            version: None,
            position: None,
            request: Some(key.request.clone()),
        };
        run_decision(
            decision,
            move |dispatcher, decision| async move {
                dispatcher
                    .decide_once(&decision, &metadata, aggregate_type, record)
                    .await
            },
            self.clone(),
        )
        .await
    }

    async fn decide_once<D: Decide>(
        &self,
        decision: &D,
        metadata: &Metadata,
        aggregate_type: &'static str,
        record: SentCommand,
    ) -> Result<Committed, DispatchError> {
        let request = record.request.clone();
        let answered = |sent| sent::answer(sent, aggregate_type, 0, request.as_deref());
        let recorded = || async {
            self.store
                .sent_command(record.command_id)
                .await
                .map_err(DispatchError::Store)
        };
        if let Some(sent) = recorded().await? {
            return answered(sent);
        }
        let error = match self
            .decide_and_append(decision, metadata, Some(&record))
            .await
        {
            Ok(decided) if !decided.events.is_empty() => {
                return Ok(decided.committed(aggregate_type, &record.aggregate_id));
            }
            Ok(decided) => {
                // Nothing to append: recorded all the same, so that sent again once the state
                // has moved on it appends nothing then either.
                let unchanged = decided.committed(aggregate_type, &record.aggregate_id);
                let unchanged = SentCommand {
                    version: Some(unchanged.version),
                    ..record
                };
                return sent::record_and_answer(&*self.store, unchanged, aggregate_type, 0).await;
            }
            Err(error) => error,
        };
        // Refused: kept, so the key gets the same refusal for good, and answered with the
        // record, which another request with the key may have made first.
        if let Some(mut refused) = sent::refusal(
            record.command_id,
            &record.aggregate_type,
            &record.aggregate_id,
            &error,
        ) {
            refused.request = record.request;
            return sent::record_and_answer(&*self.store, refused, aggregate_type, 0).await;
        }
        // Failed to answer: another request with the key may still have been recorded.
        match recorded().await? {
            Some(sent) => answered(sent),
            None => Err(error),
        }
    }
}
