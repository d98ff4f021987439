//! A watch is admitted once: it ends when the token that admitted it expires, saying so.
#![cfg(feature = "auth")]

use std::time::{Duration, Instant, SystemTime};

use axum::body::{Body, Bytes};
use axum::response::Response;
use eventwright::http::{Caller, Principal, until_expiry};
use futures_util::StreamExt;

fn caller(expires_in: Duration) -> Caller {
    Caller::authenticated(Principal {
        subject: "ann".to_owned(),
        roles: Vec::new(),
        tenant: None,
        expires_at: Some(SystemTime::now() + expires_in),
    })
}

/// A watch that sends one message, then waits for changes that never come.
fn endless_watch() -> Response {
    let first = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(Bytes::from_static(b"event: snapshot\ndata: []\n\n"))
    });
    Response::new(Body::from_stream(
        first.chain(futures_util::stream::pending()),
    ))
}

#[tokio::test]
async fn a_watch_ends_when_its_token_expires() {
    let started = Instant::now();
    let response = until_expiry(&caller(Duration::from_millis(700)), endless_watch());
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .expect("the stream ends");
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(600), "{text}");
    assert!(text.starts_with("event: snapshot\ndata: []\n\n"), "{text}");
    let last = text.rsplit("\n\n").nth(1).unwrap();
    assert!(last.starts_with("event: error\ndata: {"), "{text}");
    assert!(last.contains("\"code\":\"token_expired\""), "{text}");
    assert!(last.contains("\"status\":401"), "{text}");
}

#[tokio::test]
async fn an_expired_token_opens_no_watch_and_an_anonymous_watch_goes_on() {
    // Taken within the gate's leeway, after its expiry: refused before it streams.
    let expired = Caller::authenticated(Principal {
        expires_at: Some(SystemTime::now() - Duration::from_secs(5)),
        ..caller(Duration::ZERO).principal().unwrap().clone()
    });
    let response = until_expiry(&expired, endless_watch());
    assert_eq!(response.status(), 401);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&body).contains("token_expired"));

    let response = until_expiry(&Caller::anonymous(), endless_watch());
    let mut body = response.into_body().into_data_stream();
    let first = body.next().await.unwrap().unwrap();
    assert_eq!(&first[..], b"event: snapshot\ndata: []\n\n");
    let more = tokio::time::timeout(Duration::from_millis(300), body.next()).await;
    assert!(more.is_err(), "an anonymous watch has no token to outlive");
}
