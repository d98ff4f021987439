// Created by eventwright from eventwright.yaml. This file is yours: regenerating never overwrites it.

//! The HTTP API end to end, in process, on stores of the test's own (`Config::for_tests`).

{%- if creates %}

use std::time::Duration;
{%- endif %}

use axum::body::Body;
use axum::http::{Request, StatusCode};
{%- if creates %}
use eventwright::http::auth::{AuthConfig, Authenticator, Gate, TokenKeys, issue_token};
{%- endif %}
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use {{ crate_name }}::services::Services;
use {{ crate_name }}::{App, Config, api};
{%- for constant in consts %}
{%- if loop.first %}
{% endif %}
{{ constant }}
{%- endfor %}

async fn send(app: &App, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    send_as(app, None, method, uri, body).await
}

/// `send`, with `token` as the request's bearer token.
async fn send_as(
    app: &App,
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
    let response = api::router(app.clone())
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
    let app = App::connect(&Config::for_tests().await)
        .await
        .expect("the test stores open")
        .with_services(Services::default());
{%- if creates %}

    let (status, body) = send(&app, "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);

    // The same aggregate cannot be created twice.
    let (status, body) = send(&app, "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "already_exists");
{%- if let Some(field) = bad_field %}

    // A field of the wrong type is refused, naming the field.
    let (status, body) = send(&app, "POST", CREATE, BAD_BODY).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], {{ field|rust_str }});
{%- endif %}

    // Malformed JSON is a client error, never a server error.
    let (status, body) = send(&app, "POST", CREATE, "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "invalid_json");
{%- if reads %}

    app.catch_up().await.expect("projections apply the events");
    let (status, body) = send(&app, "GET", READ, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
{%- endif %}
{%- else %}
    let (status, _) = send(&app, "GET", "/no-such-route", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
{%- endif %}
}
{%- if creates %}

/// With keys to check tokens with (`--auth-secret`), a command asks for a token{% if !roles.is_empty() %} holding one
/// of its roles{% endif %}, and its events record the token's subject as their actor.
#[tokio::test]
async fn a_command_asks_for_a_token_when_tokens_are_checked() {
    let mut app = App::connect(&Config::for_tests().await)
        .await
        .expect("the test stores open")
        .with_services(Services::default());
    let secret = b"a secret of this test's own, 32 bytes or more";
    app.gate = Gate::new(Authenticator::new(AuthConfig::new(TokenKeys::Secret(
        secret.to_vec(),
    ))));

    let (status, body) = send(&app, "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "unauthenticated");
    let another = b"another secret, not the service's own";
    let forged = issue_token(another, "tester", ROLES, HOUR);
    let (status, body) = send_as(&app, Some(&forged), "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "invalid_token");
{%- if !roles.is_empty() %}
    let stranger = issue_token(secret, "stranger", &[], HOUR);
    let (status, body) = send_as(&app, Some(&stranger), "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "forbidden");
{%- endif %}

    let token = issue_token(secret, "tester", ROLES, HOUR);
    let (status, body) = send_as(&app, Some(&token), "POST", CREATE, CREATE_BODY).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stream = app
        .events
        .load(AGGREGATE, ID, 0)
        .await
        .expect("the stream reads");
    assert!(!stream.is_empty());
    for event in stream {
        assert_eq!(event.metadata.actor.as_deref(), Some("tester"));
    }
}
{%- endif %}
