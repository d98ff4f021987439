//! `tenants`: the claim naming a caller's tenant.

use super::*;

/// The cart model, serving tenants as `tenants` says.
fn with_tenants(tenants: &str) -> String {
    CART.replace(
        "service: shop\n",
        &format!("service: shop\ntenants: {tenants}\n"),
    )
}

#[test]
fn tenants_are_read_from_the_claim_named_or_tenant() {
    assert_eq!(model(CART).tenancy, None);
    let claim = |tenants: &str| model(&with_tenants(tenants)).tenancy.map(|t| t.claim);
    assert_eq!(claim("{}").as_deref(), Some("tenant"));
    assert_eq!(claim("{ claim: org }").as_deref(), Some("org"));
    assert_eq!(
        example("inventory.yaml")
            .tenancy
            .map(|t| t.claim)
            .as_deref(),
        Some("org")
    );
}

#[test]
fn a_claim_that_cannot_hold_a_tenant_is_pointed_at() {
    assert_eq!(
        error(&with_tenants("{ claim: sub }")),
        "3:19 `tenants` reads the tenant from a claim that cannot hold it: `sub` holds something \
         else than a tenant"
    );
    assert_eq!(
        error(&with_tenants("{ claim: \"an org\" }")),
        "3:19 `tenants` reads the tenant from a claim that cannot hold it: a claim name has no \
         spaces"
    );
    assert_eq!(
        error(&with_tenants("{ claim: \"\" }")),
        "3:19 `tenants` reads the tenant from a claim that cannot hold it: a claim name is 1 to \
         100 characters"
    );
    assert!(
        error(&with_tenants("{ org: org }")).starts_with("3:12 "),
        "{}",
        error(&with_tenants("{ org: org }"))
    );
}
