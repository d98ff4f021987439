//! What the benchmark binaries share: `command-path` (src/main.rs), `transfers`
//! (src/transfers/), `read-side` (src/read_side/) and `projector-scaling`
//! (src/projector_scaling/).

pub mod environment;
pub mod tally;
