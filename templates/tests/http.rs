// Created by eventwright from eventwright.yaml. This file is yours: regenerating never overwrites it.

//! The HTTP API end to end, in process, on stores of the test's own (`Config::for_tests`).

use axum::body::Body;
use axum::http::{Request, StatusCode};
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
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
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
