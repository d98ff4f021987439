//! What the benchmark binaries share: `command-path` (src/main.rs) and `transfers`
//! (src/transfers/).

pub mod environment;
pub mod tally;
