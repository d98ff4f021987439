//! Sequences, positions and versions are `u64` in Rust and signed 64-bit integers in the
//! databases: the conversions, each refusing what does not fit instead of wrapping.

use super::{Cursor, StoreError};

pub(crate) fn to_i64(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("{value} does not fit a 64-bit integer column")))
}

pub(crate) fn to_u64(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value)
        .map_err(|_| StoreError::Corrupt(format!("negative position or sequence {value}")))
}

/// A stored (transaction, position) as a cursor; none stored is the start of the log.
pub(crate) fn to_cursor(stored: Option<(i64, i64)>) -> Result<Cursor, StoreError> {
    match stored {
        None => Ok(Cursor::START),
        Some((transaction, position)) => Ok(Cursor {
            transaction: to_u64(transaction)?,
            position: to_u64(position)?,
        }),
    }
}
