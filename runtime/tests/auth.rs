//! Bearer tokens, really signed: with a shared secret (HS256), and with an issuer's RSA key
//! whose public half a JWKS document serves (RS256), fetched from a server on loopback. Each
//! refusal is the problem its status promises; keys are fetched once and again on rotation.
//! The key pair under `fixtures/` was made for these tests (`openssl genrsa 2048`) and signs
//! nothing else.
#![cfg(feature = "auth")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use eventwright::http::auth::{AuthConfig, Authenticator, Gate, TokenKeys, issue_token};
use eventwright::http::{Caller, Principal};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const SECRET: &[u8] = b"a secret of the test's own, 32 bytes+";
const ISSUER_KEY: &[u8] = include_bytes!("fixtures/issuer_key.pem");
const ISSUER_JWKS: &str = include_str!("fixtures/issuer_jwks.json");

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(subject: &str, roles: &[&str], expires_in: i64) -> Value {
    json!({
        "sub": subject,
        "iss": "https://issuer.test",
        "aud": "library",
        "roles": roles,
        "exp": now().saturating_add_signed(expires_in),
    })
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn rs256(claims: &Value, kid: &str) -> String {
    let mut head = Header::new(Algorithm::RS256);
    head.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &head,
        claims,
        &EncodingKey::from_rsa_pem(ISSUER_KEY).unwrap(),
    )
    .unwrap()
}

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    headers
}

fn checked() -> AuthConfig {
    AuthConfig {
        issuer: Some("https://issuer.test".to_owned()),
        audience: Some("library".to_owned()),
        ..AuthConfig::new(TokenKeys::Secret(SECRET.to_vec()))
    }
}

/// The refusal's status, `code` and `WWW-Authenticate`, as a client receives them.
async fn refusal<T: std::fmt::Debug>(
    result: Result<T, eventwright::http::ApiError>,
) -> (StatusCode, String, String) {
    let response = result.expect_err("refused").into_response();
    let status = response.status();
    let challenge = response.headers()[header::WWW_AUTHENTICATE]
        .to_str()
        .unwrap()
        .to_owned();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    (status, body["code"].as_str().unwrap().to_owned(), challenge)
}

#[tokio::test]
async fn a_shared_secret_takes_good_tokens_and_refuses_the_rest() {
    let auth = Authenticator::new(checked());
    let principal = auth
        .authenticate(&bearer(&hs256(&claims("ann", &["librarian"], 300), SECRET)))
        .await
        .unwrap();
    let expires_at = principal.expires_at.expect("the token's expiry");
    let left = expires_at.duration_since(SystemTime::now()).unwrap();
    assert!(left > Duration::from_secs(290) && left <= Duration::from_secs(300));
    assert_eq!(
        principal,
        Principal {
            subject: "ann".to_owned(),
            roles: vec!["librarian".to_owned()],
            tenant: None,
            expires_at: Some(expires_at),
        }
    );
    assert!(principal.require(&["librarian", "member"]).is_ok());
    let (status, code, challenge) = refusal(principal.require(&["admin"])).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    assert!(challenge.contains("insufficient_scope"), "{challenge}");

    let (status, code, challenge) = refusal(auth.authenticate(&HeaderMap::new()).await).await;
    assert_eq!(
        (status, code.as_str(), challenge.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated", "Bearer")
    );
    let mut wrong_issuer = claims("ann", &[], 300);
    wrong_issuer["iss"] = json!("https://elsewhere.test");
    let mut wrong_audience = claims("ann", &[], 300);
    wrong_audience["aud"] = json!("billing");
    let mut no_subject = claims("ann", &[], 300);
    no_subject.as_object_mut().unwrap().remove("sub");
    let mut no_audience = claims("ann", &[], 300);
    no_audience.as_object_mut().unwrap().remove("aud");
    let mut no_issuer = claims("ann", &[], 300);
    no_issuer.as_object_mut().unwrap().remove("iss");
    for (token, why) in [
        (hs256(&claims("ann", &[], -3600), SECRET), "has expired"),
        (hs256(&wrong_issuer, SECRET), "another issuer"),
        (hs256(&wrong_audience, SECRET), "another audience"),
        (hs256(&no_subject, SECRET), "lacks a claim"),
        (hs256(&no_audience, SECRET), "lacks a claim"),
        (hs256(&no_issuer, SECRET), "lacks a claim"),
        (
            hs256(&claims("ann", &[], 300), b"another secret"),
            "signature",
        ),
        (rs256(&claims("ann", &[], 300), "test-key-1"), "not taken"),
        ("not.a.jwt".to_owned(), "not a JWT"),
    ] {
        let (status, code, challenge) = refusal(auth.authenticate(&bearer(&token)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNAUTHORIZED, "invalid_token"),
            "{why}"
        );
        assert!(challenge.contains(why), "{why}: {challenge}");
    }
    let mut basic = HeaderMap::new();
    basic.insert(
        header::AUTHORIZATION,
        HeaderValue::from_static("Basic YW5uOnB3"),
    );
    let (_, code, _) = refusal(auth.authenticate(&basic).await).await;
    assert_eq!(code, "invalid_token");
}

/// A JWKS document served on loopback, counting how often it is fetched; `rotated` serves a
/// document whose key has a new id.
async fn issuer(fetches: Arc<AtomicUsize>, rotated: Arc<std::sync::atomic::AtomicBool>) -> String {
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let fetches = Arc::clone(&fetches);
            let rotated = Arc::clone(&rotated);
            async move {
                fetches.fetch_add(1, Ordering::SeqCst);
                let document = if rotated.load(Ordering::SeqCst) {
                    ISSUER_JWKS.replace("test-key-1", "test-key-2")
                } else {
                    ISSUER_JWKS.to_owned()
                };
                ([(header::CONTENT_TYPE, "application/json")], document)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    // Its OpenID Connect discovery document, which says where the keys are.
    let discovery = serde_json::json!({
        "issuer": format!("http://{address}"),
        "jwks_uri": format!("http://{address}/jwks.json"),
    });
    let app = app.route(
        "/.well-known/openid-configuration",
        axum::routing::get(move || async move { axum::Json(discovery) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/jwks.json")
}

#[tokio::test]
async fn an_issuers_keys_are_found_through_its_discovery_document() {
    let fetches = Arc::new(AtomicUsize::new(0));
    let rotated = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let jwks = issuer(Arc::clone(&fetches), rotated).await;
    let base = jwks.trim_end_matches("/jwks.json").to_owned();
    let auth = Authenticator::new(AuthConfig {
        keys: TokenKeys::Discovered {
            issuer: format!("{base}/"),
            refresh: Duration::from_secs(3600),
        },
        ..checked()
    });
    let token = rs256(&claims("ann", &["member"], 300), "test-key-1");
    assert_eq!(
        auth.authenticate(&bearer(&token)).await.unwrap().subject,
        "ann"
    );
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "the keys the document names"
    );
    let forged = hs256(&claims("eve", &["member"], 300), SECRET);
    let (_, code, _) = refusal(auth.authenticate(&bearer(&forged)).await).await;
    assert_eq!(code, "invalid_token");

    // A discovery document that names another issuer is not taken: the same server, reached
    // as another name, is another issuer.
    let other = Authenticator::new(AuthConfig {
        keys: TokenKeys::Discovered {
            issuer: base.replace("127.0.0.1", "localhost"),
            refresh: Duration::from_secs(3600),
        },
        ..checked()
    });
    let response = other
        .authenticate(&bearer(&token))
        .await
        .expect_err("no keys")
        .into_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    // An issuer whose discovery document cannot be read leaves the service without keys: 503.
    let lost = Authenticator::new(AuthConfig {
        keys: TokenKeys::Discovered {
            issuer: format!("{base}/nowhere"),
            refresh: Duration::from_secs(3600),
        },
        ..checked()
    });
    let response = lost
        .authenticate(&bearer(&token))
        .await
        .expect_err("no keys")
        .into_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn an_issuers_keys_are_fetched_once_kept_and_fetched_again_on_rotation() {
    let fetches = Arc::new(AtomicUsize::new(0));
    let rotated = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let url = issuer(Arc::clone(&fetches), Arc::clone(&rotated)).await;
    let auth = Authenticator::new(AuthConfig {
        keys: TokenKeys::Jwks {
            url,
            refresh: Duration::from_secs(3600),
        },
        ..checked()
    });
    for subject in ["ann", "bob", "cy"] {
        let token = rs256(&claims(subject, &["member"], 300), "test-key-1");
        let principal = auth.authenticate(&bearer(&token)).await.unwrap();
        assert_eq!(principal.subject, subject);
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "fetched once, then kept");

    // A secret-signed token does not pass for the issuer's, nor one signed with HS256 using
    // the issuer's public key material as the secret.
    let forged = hs256(&claims("eve", &["member"], 300), SECRET);
    let (_, code, _) = refusal(auth.authenticate(&bearer(&forged)).await).await;
    assert_eq!(code, "invalid_token");
    let mut head = Header::new(Algorithm::HS256);
    head.kid = Some("test-key-1".to_owned());
    let public: Value = serde_json::from_str(ISSUER_JWKS).unwrap();
    let n = public["keys"][0]["n"].as_str().unwrap().as_bytes();
    let forged = jsonwebtoken::encode(
        &head,
        &claims("eve", &["member"], 300),
        &EncodingKey::from_secret(n),
    )
    .unwrap();
    let (_, code, challenge) = refusal(auth.authenticate(&bearer(&forged)).await).await;
    assert_eq!(code, "invalid_token");
    assert!(challenge.contains("not taken"), "{challenge}");

    // The issuer rotates: a token with the new key id makes the keys be fetched again (once
    // the few seconds that damp made-up ids have passed).
    rotated.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let token = rs256(&claims("ann", &["member"], 300), "test-key-2");
    assert_eq!(
        auth.authenticate(&bearer(&token)).await.unwrap().subject,
        "ann"
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    // Made-up key ids right after do not fetch again.
    for n in 0..5 {
        let token = rs256(&claims("eve", &[], 300), &format!("made-up-{n}"));
        let (_, code, _) = refusal(auth.authenticate(&bearer(&token)).await).await;
        assert_eq!(code, "invalid_token");
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_unreachable_issuer_is_a_503_not_a_401() {
    let auth = Authenticator::new(AuthConfig {
        keys: TokenKeys::Jwks {
            url: "http://127.0.0.1:1/jwks.json".to_owned(),
            refresh: Duration::from_secs(3600),
        },
        ..checked()
    });
    let token = rs256(&claims("ann", &[], 300), "test-key-1");
    let response = auth
        .authenticate(&bearer(&token))
        .await
        .expect_err("no keys")
        .into_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
}

#[test]
fn the_secret_never_shows() {
    let shown = format!("{:?}", checked());
    assert!(!shown.contains("a secret of the test"), "{shown}");
}

#[tokio::test]
async fn a_gate_admits_by_token_and_role_and_names_the_actor() {
    let open = Gate::open();
    let caller = open.admit(&HeaderMap::new(), &["librarian"]).await.unwrap();
    assert_eq!(caller, Caller::anonymous());
    let metadata = eventwright::http::metadata_from_headers(&HeaderMap::new(), &caller).unwrap();
    assert_eq!(metadata.actor, None);

    let gate = Gate::new(Authenticator::new(AuthConfig::new(TokenKeys::Secret(
        SECRET.to_vec(),
    ))));
    assert!(!gate.is_open());
    let token = issue_token(SECRET, "ann", &["librarian"], Duration::from_secs(60));
    let caller = gate
        .admit(&bearer(&token), &["member", "librarian"])
        .await
        .unwrap();
    assert_eq!(caller.subject(), Some("ann"));
    let metadata = eventwright::http::metadata_from_headers(&HeaderMap::new(), &caller).unwrap();
    assert_eq!(metadata.actor.as_deref(), Some("ann"));
    assert!(gate.admit(&bearer(&token), &[]).await.is_ok());

    let (status, code, _) = refusal(gate.admit(&bearer(&token), &["admin"]).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let (status, code, _) = refusal(gate.admit(&HeaderMap::new(), &[]).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let expired = hs256(&claims("ann", &["librarian"], -3600), SECRET);
    let (status, code, _) = refusal(gate.admit(&bearer(&expired), &[]).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
}

#[test]
fn one_callers_idempotency_key_is_not_anothers() {
    let mut headers = HeaderMap::new();
    headers.insert("idempotency-key", HeaderValue::from_static("retry-1"));
    let key = |subject: Option<&str>| {
        let caller = subject.map_or_else(Caller::anonymous, |subject| {
            Caller::authenticated(Principal {
                subject: subject.to_owned(),
                roles: Vec::new(),
                tenant: None,
                expires_at: None,
            })
        });
        eventwright::http::request_key(&headers, &caller, "Lend", "b-1", b"{}")
            .unwrap()
            .unwrap()
            .command_id()
    };
    assert_eq!(key(Some("ann")), key(Some("ann")));
    // The same key on the same request, or on another: the whole key tells them apart.
    let body = |body: &[u8]| {
        eventwright::http::request_key(&headers, &Caller::anonymous(), "Lend", "b-1", body)
            .unwrap()
            .unwrap()
    };
    assert_eq!(body(b""), body(b"{}"), "an empty body is the empty object");
    assert_eq!(body(b" { } "), body(b"{}"));
    assert_ne!(body(b"{\"a\":1}"), body(b"{}"));
    assert_ne!(key(Some("ann")), key(Some("bob")));
    assert_ne!(key(Some("ann")), key(None));
}
