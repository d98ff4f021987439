//! What the benchmark binaries share: `command-path` (src/main.rs), `transfers`
//! (src/transfers/) and `read-side` (src/read_side/).

pub mod environment;
pub mod tally;
