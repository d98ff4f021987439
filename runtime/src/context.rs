//! What a handler may use beyond the aggregate's state: the application's services, the clock,
//! and the command's metadata.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::clock::Clock;
use crate::event::Metadata;

/// What a [`HandleWith`](crate::HandleWith) handler is given besides the command: the services
/// its aggregate names ([`Aggregate::Services`](crate::Aggregate::Services)), the
/// dispatcher's clock, and the command's metadata (its actor, correlation and causation ids).
#[derive(Debug)]
pub struct Context<'a, S = ()> {
    services: &'a S,
    clock: &'a dyn Clock,
    metadata: &'a Metadata,
}

impl<S> Clone for Context<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Context<'_, S> {}

impl<'a, S> Context<'a, S> {
    pub fn new(services: &'a S, clock: &'a dyn Clock, metadata: &'a Metadata) -> Self {
        Self {
            services,
            clock,
            metadata,
        }
    }

    /// The application's services, as given to
    /// [`Dispatcher::with_services`](crate::Dispatcher::with_services).
    pub fn services(&self) -> &'a S {
        self.services
    }

    /// The time now, by the dispatcher's clock (the one that also stamps the events).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today's date in UTC, by the dispatcher's clock.
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    pub fn clock(&self) -> &'a dyn Clock {
        self.clock
    }

    /// A new id, from the dispatcher's clock: ordered by creation time (UUID v7), or numbered
    /// from 1 by a [`ManualClock`](crate::clock::ManualClock).
    pub fn new_id(&self) -> Uuid {
        self.clock.new_id()
    }

    /// Who sent the command, when the service knows.
    pub fn actor(&self) -> Option<&'a str> {
        self.metadata.actor.as_deref()
    }

    pub fn correlation_id(&self) -> Option<&'a str> {
        self.metadata.correlation_id.as_deref()
    }

    pub fn metadata(&self) -> &'a Metadata {
        self.metadata
    }
}

/// What the dispatcher offers a command's handler: its services, its clock, and the command's
/// metadata. A [`Handle`](crate::Handle) handler takes none of it; a
/// [`HandleWith`](crate::HandleWith) handler gets its [`Context`] from here, and only then
/// must the services it names have been given.
#[derive(Debug, Clone, Copy)]
pub struct Surroundings<'a> {
    services: &'a ServiceMap,
    clock: &'a dyn Clock,
    metadata: &'a Metadata,
}

impl<'a> Surroundings<'a> {
    pub(crate) fn new(
        services: &'a ServiceMap,
        clock: &'a dyn Clock,
        metadata: &'a Metadata,
    ) -> Self {
        Self {
            services,
            clock,
            metadata,
        }
    }

    /// The context of a handler that needs services of type `S`.
    pub fn context<S: Send + Sync + 'static>(&self) -> Result<Context<'a, S>, MissingServices> {
        Ok(Context::new(
            self.services.get::<S>()?,
            self.clock,
            self.metadata,
        ))
    }
}

/// The services a dispatcher hands to handlers, one value per type.
#[derive(Clone, Default)]
pub(crate) struct ServiceMap {
    by_type: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl ServiceMap {
    pub(crate) fn insert<S: Send + Sync + 'static>(&mut self, services: Arc<S>) {
        self.by_type.insert(TypeId::of::<S>(), services);
    }

    /// The services of type `S`: `()` is always there.
    pub(crate) fn get<S: Send + Sync + 'static>(&self) -> Result<&S, MissingServices> {
        if let Some(unit) = (&() as &dyn Any).downcast_ref::<S>() {
            return Ok(unit);
        }
        self.by_type
            .get(&TypeId::of::<S>())
            .and_then(|services| services.downcast_ref::<S>())
            .ok_or(MissingServices {
                services: type_name::<S>(),
            })
    }
}

/// A handler needs services the dispatcher was not given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no services of type {services}: give them to Dispatcher::with_services at startup")]
pub struct MissingServices {
    pub services: &'static str,
}

impl std::fmt::Debug for ServiceMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceMap")
            .field("types", &self.by_type.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::ServiceMap;

    #[derive(Debug, PartialEq)]
    struct Prices(i64);

    #[test]
    fn a_context_tells_who_sent_the_command_and_reads_the_dispatchers_clock() {
        let clock = crate::clock::ManualClock::at("2026-03-02T09:00:00Z".parse().unwrap());
        let metadata = crate::event::Metadata {
            actor: Some("librarian-7".into()),
            correlation_id: Some("req-1".into()),
            ..Default::default()
        };
        let services = ServiceMap::default();
        let context = super::Surroundings::new(&services, &clock, &metadata)
            .context::<()>()
            .unwrap();
        assert_eq!(context.actor(), Some("librarian-7"));
        assert_eq!(context.correlation_id(), Some("req-1"));
        assert_eq!(context.today().to_string(), "2026-03-02");
        assert_eq!(context.new_id(), uuid::Uuid::from_u128(1));
    }

    #[test]
    fn services_are_found_by_type_and_unit_needs_none() {
        let mut map = ServiceMap::default();
        assert!(map.get::<()>().is_ok());
        let missing = map.get::<Prices>().unwrap_err();
        assert!(missing.services.ends_with("Prices"), "{missing}");
        map.insert(Arc::new(Prices(7)));
        assert_eq!(map.get::<Prices>(), Ok(&Prices(7)));
    }
}
