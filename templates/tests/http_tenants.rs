// Created by eventwright from eventwright.yaml. This file is yours: regenerating never overwrites it.

//! The HTTP API end to end, in process: two tenants, `north` and `south`, each on stores of the
//! test's own (`Config::for_tests`, once per tenant), and every request with a signed token
//! naming its tenant.
{%- if test.creates %}

use std::time::Duration;
{%- endif %}

use axum::body::Body;
use axum::http::{Request, StatusCode};
{%- if test.creates %}
use eventwright::http::auth::{
    AuthConfig, Authenticator, Gate, TokenKeys, issue_token, issue_token_with,
};
{%- else %}
use eventwright::http::auth::{AuthConfig, Authenticator, Gate, TokenKeys};
{%- endif %}
use eventwright::tenant::Tenant;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use {{ test.crate_name }}::services::Services;
use {{ test.crate_name }}::{App, Config, TENANT_CLAIM, Tenants, api};
{%- for constant in test.consts %}
{%- if loop.first %}
{% endif %}
{{ constant }}
{%- endfor %}

const SECRET: &[u8] = b"a secret of this test's own, 32 bytes or more";

/// The tenants `north` and `south`, each on stores of its own, behind a gate that reads each
/// caller's tenant from their token.
async fn tenants() -> Tenants {
    let gate = Gate::new(Authenticator::new(AuthConfig {
        tenant_claim: Some(TENANT_CLAIM.to_owned()),
        ..AuthConfig::new(TokenKeys::Secret(SECRET.to_vec()))
    }));
    let mut apps = Vec::new();
    for name in ["north", "south"] {
        let mut app = App::connect(&Config::for_tests().await)
            .await
            .expect("the test stores open")
            .with_services(Services::default());
        app.gate = gate.clone();
        apps.push((Tenant::new(name).expect("a tenant name"), app));
    }
    Tenants::new(gate, apps).expect("a gate that reads tenants")
}
{%- if test.creates %}

/// The app of the tenant `name`.
fn app<'a>(tenants: &'a Tenants, name: &str) -> &'a App {
    let tenant = Tenant::new(name).expect("a tenant name");
    tenants.get(&tenant).expect("a tenant served")
}

/// A token for `subject`, of `tenant`, holding the roles the test's requests ask for.
fn token(subject: &str, tenant: &str) -> String {
    let mut claims = serde_json::Map::new();
    claims.insert(TENANT_CLAIM.to_owned(), Value::from(tenant));
    issue_token_with(SECRET, subject, ROLES, HOUR, claims)
}
{%- endif %}

async fn send(
    tenants: &Tenants,
    token: Option<&str>,
    method: &str,
    uri: &str,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(Body::from(body.to_owned()))
        .expect("a valid request");
    let response = api::router(tenants.clone())
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    (status, json)
}

#[tokio::test]
async fn commands_and_queries_over_http() {
    let tenants = tenants().await;
{%- if test.creates %}
    let north = token("tester", "north");
    let north = Some(north.as_str());

    let (status, body) = send(&tenants, None, "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = send(&tenants, north, "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);

    // The same aggregate cannot be created twice.
    let (status, body) = send(&tenants, north, "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "already_exists");
{%- if let Some(field) = test.bad_field %}

    // A field of the wrong type is refused, naming the field.
    let (status, body) = send(&tenants, north, "POST", CREATE, BAD_BODY).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], {{ field|rust_str }});
{%- endif %}

    // Malformed JSON is a client error, never a server error.
    let (status, body) = send(&tenants, north, "POST", CREATE, "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_json");
{%- if test.reads %}

    app(&tenants, "north")
        .catch_up()
        .await
        .expect("projections apply the events");
    let (status, body) = send(&tenants, north, "GET", READ, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
{%- endif %}

    // Each event records the token's subject as its actor.
    let stream = app(&tenants, "north")
        .events
        .load(AGGREGATE, ID, 0)
        .await
        .expect("the stream reads");
    assert!(!stream.is_empty());
    for event in stream {
        assert_eq!(event.metadata.actor.as_deref(), Some("tester"));
    }
{%- else %}
    let (status, _) = send(&tenants, None, "GET", "/no-such-route", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
{%- endif %}
}
{%- if test.creates %}

/// What one tenant records, another never reads, nor changes: its stores are its own.
#[tokio::test]
async fn each_tenant_reads_and_changes_only_its_own() {
    let tenants = tenants().await;
    let (north, south) = (token("ann", "north"), token("bob", "south"));

    let (status, body) = send(&tenants, Some(&north), "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::OK, "{body}");
{%- if test.reads %}
    for (_, app) in tenants.iter() {
        app.catch_up().await.expect("projections apply the events");
    }
    // South does not find north's row...
    let (status, body) = send(&tenants, Some(&south), "GET", READ, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
{%- endif %}
    // ...nor north's aggregate: the same id is south's own, created afresh.
    let (status, body) = send(&tenants, Some(&south), "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);
    for (tenant, actor) in [("north", "ann"), ("south", "bob")] {
        let stream = app(&tenants, tenant)
            .events
            .load(AGGREGATE, ID, 0)
            .await
            .expect("the stream reads");
        assert!(!stream.is_empty());
        for event in stream {
            assert_eq!(event.metadata.actor.as_deref(), Some(actor), "{tenant}");
        }
    }

    // A token naming no tenant, or one not served, reaches nobody's.
    let nobody = issue_token(SECRET, "eve", ROLES, HOUR);
    let (status, body) = send(&tenants, Some(&nobody), "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "no_tenant");
    let east = token("eve", "east");
    let (status, body) = send(&tenants, Some(&east), "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "unknown_tenant");
}
{%- endif %}
