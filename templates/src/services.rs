// Created by eventwright from eventwright.yaml. This file is yours: regenerating never overwrites it.

//! What command handlers may use besides an aggregate's state: clients of other systems, price
//! lists, limits. A handler written as `impl HandleWith<SomeCommand>` (in
//! `src/<aggregate>/handlers.rs`) receives them as `context.services()`, beside the clock
//! (`context.now()`, `context.today()`, `context.new_id()`).
//!
//! `main.rs` builds them once, with [`Services::connect`], when the service starts; the tests
//! build them with `Services::default()`, or give handlers fakes.

/// The application's services: a field for each thing a handler needs to ask.
#[derive(Debug, Clone, Default)]
pub struct Services {}

impl Services {
    /// Builds the services when the service starts: read their settings, open connections.
    pub async fn connect() -> anyhow::Result<Self> {
        Ok(Self::default())
    }
}
