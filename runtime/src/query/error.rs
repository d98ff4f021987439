//! Why a query could not be answered.

use std::time::Duration;

use crate::store::StoreError;

/// A query that could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A query parameter is out of range or malformed.
    #[error("{field}: {message}")]
    InvalidParameter {
        field: &'static str,
        message: String,
    },
    /// A stored row no longer matches its type.
    #[error("row of {projection} does not match its type: {reason}")]
    Row {
        projection: &'static str,
        reason: String,
    },
    /// The projection had not caught up with a consistency token within the wait allowed.
    #[error(
        "{projection} has not caught up with the consistency token after {waited:?}; try again"
    )]
    NotYetConsistent {
        projection: &'static str,
        waited: Duration,
    },
    /// The projection changed (a field, a list or a count) since its live tables were built,
    /// which cannot answer for it: its projector is rebuilding it into new ones.
    #[error(
        "{projection} changed since its tables were built and is being rebuilt from the events; \
         try again shortly (`projections status` shows its progress)"
    )]
    Rebuilding { projection: &'static str },
    /// The process is stopping: open watches end, and resume elsewhere or after the restart.
    #[error("the service is stopping; resume the watch from the last token received")]
    Closing,
    #[error(transparent)]
    Store(#[from] StoreError),
}
