//! A service of several tenants sends each request to the app of the tenant its token names,
//! and refuses a request whose token names none, or one it does not serve.
#![cfg(feature = "auth")]

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use eventwright::http::auth::{AuthConfig, Authenticator, Gate, TokenKeys, issue_token_with};
use eventwright::http::{TenancyError, Tenants};
use eventwright::tenant::Tenant;
use serde_json::json;

const SECRET: &[u8] = b"a secret of the test's own, 32 bytes+";

fn gate(tenant_claim: Option<&str>) -> Gate {
    Gate::new(Authenticator::new(AuthConfig {
        tenant_claim: tenant_claim.map(str::to_owned),
        ..AuthConfig::new(TokenKeys::Secret(SECRET.to_vec()))
    }))
}

fn tenant(name: &str) -> Tenant {
    Tenant::new(name).unwrap()
}

/// A request from `subject`, whose token holds `claims` besides.
fn request(subject: &str, roles: &[&str], claims: serde_json::Value) -> HeaderMap {
    let serde_json::Value::Object(claims) = claims else {
        panic!("claims are an object")
    };
    let token = issue_token_with(SECRET, subject, roles, Duration::from_secs(60), claims);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

fn tenants() -> Tenants<&'static str> {
    Tenants::new(
        gate(Some("org")),
        [
            (tenant("north"), "north's app"),
            (tenant("south-2"), "south's app"),
        ],
    )
    .unwrap()
}

#[tokio::test]
async fn each_caller_reaches_the_app_of_the_tenant_their_token_names() {
    let tenants = tenants();
    let (caller, app) = tenants
        .admit(&request("ann", &[], json!({"org": "north"})), &[])
        .await
        .unwrap();
    assert_eq!((caller.subject(), *app), (Some("ann"), "north's app"));
    let (_, app) = tenants
        .admit(
            &request("bob", &["clerk"], json!({"org": "south-2"})),
            &["clerk"],
        )
        .await
        .unwrap();
    assert_eq!(*app, "south's app");
    assert_eq!(tenants.get(&tenant("north")), Some(&"north's app"));
    let names: Vec<_> = tenants.iter().map(|(tenant, _)| tenant.as_str()).collect();
    assert_eq!(names, ["north", "south-2"]);
}

#[tokio::test]
async fn a_token_naming_no_tenant_or_another_one_is_forbidden() {
    let tenants = tenants();
    for (claims, code) in [
        (json!({}), "no_tenant"),
        (json!({"org": 7}), "no_tenant"),
        (json!({"tenant": "north"}), "no_tenant"),
        (json!({"org": "east"}), "unknown_tenant"),
        (json!({"org": "North"}), "unknown_tenant"),
        (json!({"org": "../north"}), "unknown_tenant"),
    ] {
        let refused = tenants
            .admit(&request("ann", &[], claims.clone()), &[])
            .await
            .expect_err("refused");
        let response = refused.into_response();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{claims}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], code, "{claims}");
    }
    // The role is checked as on any route: a tenant's member without it is refused.
    let refused = tenants
        .admit(&request("ann", &[], json!({"org": "north"})), &["clerk"])
        .await
        .expect_err("refused");
    assert_eq!(refused.into_response().status(), StatusCode::FORBIDDEN);
    // And a request without a token is unauthenticated, whatever tenant it wants.
    let refused = tenants
        .admit(&HeaderMap::new(), &[])
        .await
        .expect_err("refused");
    assert_eq!(refused.into_response().status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn tenants_are_served_only_behind_a_gate_that_reads_them() {
    let app = || [(tenant("north"), ())];
    assert_eq!(
        Tenants::new(Gate::open(), app()).unwrap_err(),
        TenancyError::OpenGate
    );
    assert_eq!(
        Tenants::new(gate(None), app()).unwrap_err(),
        TenancyError::NoTenantClaim
    );
    assert_eq!(
        Tenants::<()>::new(gate(Some("org")), []).unwrap_err(),
        TenancyError::NoTenants
    );
    assert_eq!(
        Tenants::new(
            gate(Some("org")),
            [(tenant("north"), ()), (tenant("north"), ())]
        )
        .unwrap_err(),
        TenancyError::Twice(tenant("north"))
    );
}
