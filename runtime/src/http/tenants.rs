//! One service, several tenants: each request goes to its tenant's app, the one its bearer
//! token names, and to no other.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};

use super::ApiError;
use super::auth::Gate;
use super::caller::Caller;
use crate::tenant::Tenant;

/// The apps of a service's tenants (each over stores of its own, see [`crate::tenant`]), and
/// the gate that finds a request's tenant in its token. Cheap to clone.
pub struct Tenants<A> {
    gate: Gate,
    apps: Arc<BTreeMap<Tenant, A>>,
}

impl<A> Clone for Tenants<A> {
    fn clone(&self) -> Self {
        Self {
            gate: self.gate.clone(),
            apps: Arc::clone(&self.apps),
        }
    }
}

impl<A> fmt::Debug for Tenants<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenants")
            .field("gate", &self.gate)
            .field("tenants", &self.apps.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Why a service cannot serve its tenants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenancyError {
    #[error(
        "the service finds each caller's tenant in their token, so it must check tokens: give \
         it the keys that sign them"
    )]
    OpenGate,
    #[error("the gate reads no tenant from tokens: name the claim that holds it")]
    NoTenantClaim,
    #[error("no tenant to serve: name at least one")]
    NoTenants,
    #[error("tenant `{0}` is named twice")]
    Twice(Tenant),
}

impl<A> Tenants<A> {
    /// Serves `apps`, each its tenant's, behind `gate`, which must check tokens and read a
    /// tenant from them.
    pub fn new(
        gate: Gate,
        apps: impl IntoIterator<Item = (Tenant, A)>,
    ) -> Result<Self, TenancyError> {
        if gate.is_open() {
            return Err(TenancyError::OpenGate);
        }
        if !gate.reads_tenant() {
            return Err(TenancyError::NoTenantClaim);
        }
        let mut served = BTreeMap::new();
        for (tenant, app) in apps {
            if served.contains_key(&tenant) {
                return Err(TenancyError::Twice(tenant));
            }
            served.insert(tenant, app);
        }
        if served.is_empty() {
            return Err(TenancyError::NoTenants);
        }
        Ok(Self {
            gate,
            apps: Arc::new(served),
        })
    }

    /// The caller of a request with these headers and their tenant's app, once the gate admits
    /// them with one of `roles`; 403 when their token names no tenant, or one this service
    /// does not serve.
    pub async fn admit(
        &self,
        headers: &HeaderMap,
        roles: &[&str],
    ) -> Result<(Caller, &A), ApiError> {
        let caller = self.gate.admit(headers, roles).await?;
        let Some(tenant) = caller.principal().and_then(|who| who.tenant.as_deref()) else {
            return Err(forbidden(
                "no_tenant",
                "the token names no tenant".to_owned(),
            ));
        };
        let app = Tenant::new(tenant)
            .ok()
            .and_then(|tenant| self.apps.get(&tenant))
            .ok_or_else(|| {
                forbidden(
                    "unknown_tenant",
                    format!("this service does not serve the tenant `{tenant}`"),
                )
            })?;
        Ok((caller, app))
    }

    /// The app of `tenant`, for tools that act for one (a rebuild, forgetting a subject).
    pub fn get(&self, tenant: &Tenant) -> Option<&A> {
        self.apps.get(tenant)
    }

    /// Every tenant and its app, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&Tenant, &A)> {
        self.apps.iter()
    }
}

fn forbidden(code: &str, detail: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, detail)
}
